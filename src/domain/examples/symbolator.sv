// A UART transmitter for the shop's receipt printer
module uart_tx #(
    //# {{}}
    parameter CLK_HZ = 50000000,
    parameter BAUD = 115200
) (
    //# {{clocks|Clock and reset}}
    input wire clk,
    input wire rst_n,
    //# {{data|Byte to send}}
    input wire [7:0] tx_data,
    input wire tx_valid,
    output wire tx_ready,
    //# {{uart|Serial line}}
    output wire txd,
    output wire busy
);
endmodule
