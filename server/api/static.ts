// The dashboard: its page (with a CSP that allows its inline import map by
// hash and nothing from elsewhere), its files, and chart.js from node_modules
// (no CDN: the lab works offline). Opened as /?token=T, the page stores the
// token in a same-site cookie and drops it from the address bar.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { ROOT } from '../project.js';
import { COOKIE, type Access } from './access.js';

const DASHBOARD = join(ROOT, 'dashboard');

function vendorDir(specifier: string): string {
  return dirname(fileURLToPath(import.meta.resolve(specifier)));
}

/** The dashboard page, and a CSP that allows its inline import map (by hash) and nothing from elsewhere. */
function page(): { html: string; csp: string } {
  const html = readFileSync(join(DASHBOARD, 'index.html'), 'utf8');
  const hashes = [...html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`,
  );
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(' ')}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
  return { html, csp };
}

export function staticRoutes(access: Access): Router {
  const { html, csp } = page();
  const r = express.Router();
  r.get(['/', '/index.html'], (req, res) => {
    const t = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (t !== undefined && access.tokenMatches(t)) {
      res.cookie(COOKIE, t, { httpOnly: true, sameSite: 'strict', path: '/' });
      res.redirect(303, '/');
      return;
    }
    res.set({ 'Content-Security-Policy': csp, 'Cache-Control': 'no-store' }).type('html').send(html);
  });
  const staticOpts = { index: false, fallthrough: true, maxAge: 0 };
  r.use('/vendor/chart.js', express.static(vendorDir('chart.js'), staticOpts));
  r.use('/vendor/@kurkle/color', express.static(vendorDir('@kurkle/color'), staticOpts));
  r.use(express.static(DASHBOARD, { ...staticOpts, dotfiles: 'ignore' }));
  return r;
}
