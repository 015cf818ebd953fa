workspace "Web shop" "A small online shop and the systems around it." {

    model {
        customer = person "Customer" "Buys products online."
        staff = person "Warehouse staff" "Packs and ships orders."

        shop = softwareSystem "Web shop" "Catalog, cart and checkout." {
            web = container "Storefront" "Serves the shop pages." "Rust, Actix"
            api = container "Order API" "Places and tracks orders." "Rust"
            db = container "Order database" "Orders, stock and customers." "PostgreSQL" "Database"
        }
        payments = softwareSystem "Payment provider" "Charges credit cards." "External"

        customer -> web "Browses and orders from" "HTTPS"
        web -> api "Submits orders to" "JSON/HTTPS"
        api -> db "Reads and writes" "SQL"
        api -> payments "Charges cards with" "HTTPS"
        staff -> api "Marks orders as shipped with" "HTTPS"
    }

    views {
        container shop "Containers" {
            include *
            autoLayout lr
        }

        systemContext shop "Context" {
            include *
            autoLayout
        }

        styles {
            element "Person" {
                shape Person
                background #08427b
                color #ffffff
            }
            element "Container" {
                background #438dd5
                color #ffffff
            }
            element "Database" {
                shape Cylinder
            }
            element "External" {
                background #999999
                color #ffffff
            }
        }
    }
}
