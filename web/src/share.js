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

export function snippets(imageUrl, alt) {
  const attribute = (text) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return {
    markdown: `![${alt}](${imageUrl})`,
    html: `<img src="${attribute(imageUrl)}" alt="${attribute(alt)}">`,
    asciidoc: `image::${imageUrl}[${alt}]`,
  };
}
