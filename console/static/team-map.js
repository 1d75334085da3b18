/* The task's map on the phone: the city's own GeoJSON (districts, key areas, help points), the
   person, the destination and the team, drawn on a canvas. No tiles: the network is closed and
   the service worker keeps the city layers for use without signal. */
"use strict";

const MAP_COLORS = {
  dark: { bg: "#0e1a26", district: "#162636", districtLine: "#3d5873", key: "rgba(239,108,0,0.35)", help: "#66bb6a",
          target: "#ff5252", dest: "#00e676", own: "#40c4ff", route: "#cfd8dc", label: "#eceff1", halo: "#0e1a26" },
  light: { bg: "#eaf1f7", district: "#fbfcfd", districtLine: "#8da2bb", key: "rgba(255,204,128,0.7)", help: "#2e7d32",
           target: "#c62828", dest: "#1b5e20", own: "#0d47a1", route: "#37474f", label: "#102a43", halo: "#ffffff" },
};

function mapRings(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return geometry.coordinates;
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat();
  return [];
}

/* Equirectangular around the points that matter, at least ~500 m across, north up. */
function mapProjection(points, width, height) {
  const lats = points.map((p) => p[0]);
  const lons = points.map((p) => p[1]);
  const cLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const cLon = (Math.min(...lons) + Math.max(...lons)) / 2;
  const k = Math.cos((cLat * Math.PI) / 180);
  const spanY = Math.max(Math.max(...lats) - Math.min(...lats), 0.0045);
  const spanX = Math.max((Math.max(...lons) - Math.min(...lons)) * k, 0.0045);
  const scale = 0.8 * Math.min(width / spanX, height / spanY);
  const project = (lat, lon) => [width / 2 + (lon - cLon) * k * scale, height / 2 - (lat - cLat) * scale];
  project.pxPerM = scale / 111195;
  return project;
}

/* A scale bar of a round length, about a quarter of the map wide. */
function mapScaleBar(ctx, colors, pxPerM, height) {
  const metres = [50, 100, 200, 500, 1000, 2000, 5000].find((m) => m * pxPerM >= 60) || 5000;
  const len = metres * pxPerM;
  ctx.strokeStyle = colors.label;
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.moveTo(12, height - 10);
  ctx.lineTo(12 + len, height - 10);
  ctx.stroke();
  mapLabel(ctx, colors, 2, height - 14, metres >= 1000 ? metres / 1000 + " km" : metres + " m");
}

function mapLabel(ctx, colors, x, y, text) {
  ctx.font = "bold 14px system-ui, sans-serif";
  const width = ctx.measureText(text).width;
  const room = ctx.canvas.width / (window.devicePixelRatio || 1);
  const left = x + 10 + width > room - 4 ? Math.max(4, x - 10 - width) : x + 10;  /* keep it on the canvas */
  const top = Math.max(16, y - 8);
  ctx.lineWidth = 4;
  ctx.strokeStyle = colors.halo;
  ctx.strokeText(text, left, top);
  ctx.fillStyle = colors.label;
  ctx.fillText(text, left, top);
}

function mapMarker(ctx, colors, xy, color, square, label) {
  ctx.fillStyle = color;
  ctx.strokeStyle = colors.halo;
  ctx.lineWidth = 3;
  ctx.beginPath();
  if (square) ctx.rect(xy[0] - 8, xy[1] - 8, 16, 16);
  else ctx.arc(xy[0], xy[1], 9, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
  if (label) mapLabel(ctx, colors, xy[0], xy[1], label);
}

/* Draw `task` (lat/lon, destination) and `own` ({lat, lon} or null) over `city` (from /api/city). */
function drawTaskMap(canvas, city, task, own, dark, labels) {
  const colors = dark ? MAP_COLORS.dark : MAP_COLORS.light;
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 360;
  const height = canvas.clientHeight || 300;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const dest = task.destination;
  const points = [[task.lat, task.lon]];
  if (dest) points.push([dest.lat, dest.lon]);
  if (own) points.push([own.lat, own.lon]);
  const project = mapProjection(points, width, height);
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, width, height);

  const polygons = (layer, fill, stroke, keep) => {
    for (const f of (city && city[layer] && city[layer].features) || []) {
      if (keep && !keep(f.properties || {})) continue;
      ctx.beginPath();
      for (const ring of mapRings(f.geometry)) {
        ring.forEach(([lon, lat], i) => {
          const [x, y] = project(lat, lon);
          if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
        });
        ctx.closePath();
      }
      ctx.fillStyle = fill;
      ctx.fill("evenodd");
      if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = 1.5; ctx.stroke(); }
    }
  };
  polygons("districts", colors.district, colors.districtLine);
  polygons("zones", colors.key, null, (p) => !!p.key_area);
  for (const f of (city && city.help_points && city.help_points.features) || []) {
    const [lon, lat] = f.geometry.coordinates;
    const [x, y] = project(lat, lon);
    if (x < -10 || y < -10 || x > width + 10 || y > height + 10) continue;
    ctx.fillStyle = colors.help;
    ctx.fillRect(x - 4, y - 4, 8, 8);
  }

  const target = project(task.lat, task.lon);
  ctx.setLineDash([8, 6]);
  ctx.strokeStyle = colors.route;
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  if (own) { const o = project(own.lat, own.lon); ctx.moveTo(o[0], o[1]); ctx.lineTo(target[0], target[1]); }
  if (dest) { const d = project(dest.lat, dest.lon); ctx.moveTo(target[0], target[1]); ctx.lineTo(d[0], d[1]); }
  ctx.stroke();
  ctx.setLineDash([]);
  if (dest) mapMarker(ctx, colors, project(dest.lat, dest.lon), colors.dest, true, labels.destination);
  if (own) mapMarker(ctx, colors, project(own.lat, own.lon), colors.own, false, labels.own);
  mapMarker(ctx, colors, target, colors.target, false, labels.target);
  mapScaleBar(ctx, colors, project.pxPerM, height);
}
