// Draws the partnership map from the JSON in #map-data. The table below the map carries the same
// places, so the page reads fine without JavaScript or without tiles.
(function () {
  const element = document.getElementById("map");
  const data = document.getElementById("map-data");
  if (!element || !data || typeof L === "undefined") return;
  const places = JSON.parse(data.textContent);
  const map = L.map(element, { scrollWheelZoom: false });
  const tileUrl = element.dataset.tileUrl;
  if (tileUrl) {
    L.tileLayer(tileUrl, { attribution: element.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
  }
  const colours = { university: "#1d3557", nhs_trust: "#005eb8", research_infrastructure: "#2a9d8f" };
  const bounds = [];
  for (const place of places) {
    const marker = L.circleMarker([place.lat, place.lon], {
      radius: place.kind === "university" ? 9 : 6,
      color: colours[place.kind] || "#505a5f",
      fillOpacity: 0.8,
    }).addTo(map);
    const link = document.createElement("a");
    link.href = place.url;
    link.textContent = place.name;
    marker.bindPopup(link);
    bounds.push([place.lat, place.lon]);
  }
  if (bounds.length) map.fitBounds(bounds, { padding: [20, 20] });
  else map.setView([52.6, -1.6], 8);
})();
