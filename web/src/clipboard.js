// Copying to the clipboard, with a fallback for browsers that refuse the async clipboard.

export async function copyText(text, field) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!field) return false;
    field.focus();
    field.select();
    return document.execCommand?.('copy') ?? false;
  }
}

/** Whether this browser lets a page put an image on the clipboard. */
export function canCopyImages() {
  return window.isSecureContext && typeof ClipboardItem !== 'undefined' && !!navigator.clipboard?.write;
}

/** Copies a PNG; `pngBlob` is a promise (Safari wants the item created within the click). */
export async function copyPng(pngBlob) {
  await navigator.clipboard.write([new ClipboardItem({ 'image/png': pngBlob })]);
}

/** Draws an image element onto a canvas and returns it as PNG (for SVG-only types). */
export function rasterize(img) {
  const ratio = Math.max(1, window.devicePixelRatio || 1);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round((img.naturalWidth || 300) * ratio);
  canvas.height = Math.round((img.naturalHeight || 150) * ratio);
  const context = canvas.getContext('2d');
  context.scale(ratio, ratio);
  context.drawImage(img, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The image cannot be converted to PNG.'))), 'image/png'),
  );
}
