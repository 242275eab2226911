/**
 * The Content-Security-Policy of the dashboard, served by CloudFront's response-headers policy on
 * AWS (lib/constructs/dashboard.ts) and by the local dashboard server (local/dashboard/server.ts):
 * the page loads only its own script and stylesheet, calls the API on the same origin and the
 * sign-in domain's token endpoint (`connect-src`), and ECharts draws on canvas, so no inline style
 * or script is needed. Sign-in and sign-out are top-level navigations to the sign-in domain, which
 * CSP does not restrict.
 */
export function dashboardCsp(signInOrigin: string): string {
  return (
    `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self' ${signInOrigin}; ` +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
  );
}
