// The page's text blocks and where they are drawn, in page pixels (from the top left of the
// whole document, as a full-page screenshot has them): what lets a claim found later, by
// `claimscan scan`, be outlined on a screenshot taken at capture time (--render).
() => {
  const blocks = [];
  const selector = "h1,h2,h3,h4,h5,h6,p,li,td,th,dt,dd,blockquote,figcaption,caption,label,summary,button,a";
  for (const element of document.querySelectorAll(selector)) {
    const text = (element.innerText || "").trim();
    if (!text || text.length > 20000) continue;
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    blocks.push({
      text: text,
      box: [rect.left + window.scrollX, rect.top + window.scrollY, rect.width, rect.height],
    });
    if (blocks.length >= 5000) break;
  }
  return blocks;
}
