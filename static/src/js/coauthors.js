// Draws a person's co-author network from the JSON in #coauthor-data; the table beside it has the same data.
(function () {
  const element = document.getElementById("coauthor-network");
  const data = document.getElementById("coauthor-data");
  if (!element || !data || typeof cytoscape === "undefined") return;
  const graph = JSON.parse(data.textContent);
  const elements = [{ data: { id: "self", label: graph.name, self: true } }];
  for (const person of graph.coauthors) {
    elements.push({ data: { id: person.slug, label: person.name, url: person.url } });
    elements.push({ data: { id: `e-${person.slug}`, source: "self", target: person.slug, weight: person.shared } });
  }
  const cy = cytoscape({
    container: element,
    elements,
    layout: { name: "concentric", concentric: (node) => (node.data("self") ? 2 : 1), minNodeSpacing: 30 },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 11, "background-color": "#1d70b8", color: "#0b0c0c" } },
      { selector: "node[?self]", style: { "background-color": "#1d3557", width: 40, height: 40 } },
      { selector: "edge", style: { width: "mapData(weight, 1, 10, 1, 8)", "line-color": "#b1b4b6" } },
    ],
  });
  cy.on("tap", "node", (event) => {
    const url = event.target.data("url");
    if (url) window.location.href = url;
  });
})();
