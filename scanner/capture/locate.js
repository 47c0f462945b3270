// Where each sentence is on the page: the union of the boxes of its text, in page pixels
// (from the top left of the whole document, as a full-page screenshot has them).
// Text is compared without whitespace, so line breaks and inline elements do not matter;
// then case-insensitively. A sentence not in the visible text (a title, a meta
// description, alt text) has no box.
(sentences) => {
  const chars = [];  // [node, offset] of every non-space character of the visible text
  let text = "";
  const walker = document.createTreeWalker(document.body || document.documentElement,
                                           NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || ["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"].includes(parent.tagName)) continue;
    const value = node.nodeValue;
    for (let i = 0; i < value.length; i++) {
      if (!/\s/.test(value[i])) { text += value[i]; chars.push([node, i]); }
    }
  }
  const lower = text.toLowerCase();
  return sentences.map((sentence) => {
    const needle = sentence.replace(/\s+/g, "");
    if (!needle) return null;
    let at = text.indexOf(needle);
    if (at < 0) at = lower.indexOf(needle.toLowerCase());
    if (at < 0) return null;
    const [startNode, startOffset] = chars[at];
    const [endNode, endOffset] = chars[at + needle.length - 1];
    const range = document.createRange();
    range.setStart(startNode, startOffset);
    range.setEnd(endNode, endOffset + 1);
    let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    for (const rect of range.getClientRects()) {
      if (rect.width === 0 || rect.height === 0) continue;
      left = Math.min(left, rect.left); top = Math.min(top, rect.top);
      right = Math.max(right, rect.right); bottom = Math.max(bottom, rect.bottom);
    }
    if (left === Infinity) return null;  // in the text, but not drawn (hidden)
    return [left + window.scrollX, top + window.scrollY, right - left, bottom - top];
  });
}
