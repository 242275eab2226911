/**
 * The Content-Security-Policy of the dashboard, served by CloudFront's response-headers policy on
 * AWS (lib/constructs/dashboard.ts) and by the local dashboard server (local/dashboard/server.ts):
 * the page loads only its own script and stylesheet, calls the API on the same origin, and
 * ECharts draws on canvas, so no inline style or script is needed.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
