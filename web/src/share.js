// Addresses of a diagram: Kroki's GET encoding (zlib deflate + URL-safe base64, as
// src/domain/encoding.rs), this app's image URL, share link and embed snippets.

/** Kroki's encoding of a source; null where the browser has no CompressionStream. */
export async function encodeSource(text) {
  if (typeof CompressionStream === 'undefined') return null;
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The source of `encodeSource`'s output; null where the browser has no DecompressionStream. */
export async function decodeSource(encoded) {
  if (typeof DecompressionStream === 'undefined') return null;
  const base64 = encoded.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Response(stream).text();
}

/** `/{type}/{format}/{encoded}?{options}` on this app's Kroki-compatible gateway. */
export function imagePath({ type, format, options }, encoded) {
  const query = new URLSearchParams(Object.entries(options)).toString();
  return `/${type}/${format}/${encoded}${query ? `?${query}` : ''}`;
}

/** The editor's own URL for a state: the form's fields, with the source encoded as `src`. */
export function sharePath({ type, format, theme, background, extraOptions }, encoded) {
  const query = new URLSearchParams({ type, format });
  if (theme) query.set('theme', theme);
  if (background) query.set('background', background);
  if (extraOptions.trim()) query.set('options', extraOptions.trim());
  query.set('src', encoded);
  return `/?${query}`;
}

/**
 * The share link of a state: the query form (`/?…&src=`, which works without JavaScript) while
 * it fits the server's request-target limit, else the fragment form (`/#…&src=`), which never
 * reaches the server and which the editor reads on load.
 */
export function shareLink(state, encoded, maxLength) {
  const query = sharePath(state, encoded);
  return query.length <= maxLength ? query : `/#${query.slice(2)}`;
}

/** The state a fragment share link carries (`#type=…&src=…`), or null. */
export function fragmentState(hash) {
  const params = new URLSearchParams(String(hash ?? '').replace(/^#/, ''));
  const src = params.get('src');
  const type = params.get('type');
  if (!src || !type) return null;
  return {
    type,
    format: params.get('format') ?? '',
    theme: params.get('theme') ?? '',
    background: params.get('background') ?? '',
    extraOptions: params.get('options') ?? '',
    src,
  };
}

/** A `curl` command that renders a diagram too large for a GET URL, by POST. */
export function curlCommand(origin, { type, format, options }, extension = format) {
  const quote = (text) => `'${text.replace(/'/g, `'\\''`)}'`;
  const query = new URLSearchParams(Object.entries(options)).toString();
  const url = `${origin}/${type}/${format}${query ? `?${query}` : ''}`;
  return `curl -H 'Content-Type: text/plain' --data-binary @${type}-diagram.txt -o ${type}-diagram.${extension} ${quote(url)}`;
}

export function snippets(imageUrl, alt) {
  const attribute = (text) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return {
    markdown: `![${alt}](${imageUrl})`,
    html: `<img src="${attribute(imageUrl)}" alt="${attribute(alt)}">`,
    asciidoc: `image::${imageUrl}[${alt}]`,
  };
}
