#!/usr/bin/env node
// Installs the Debian packages the test suite drives (Chromium for the dataset-page test)
// when they are missing and we are root; otherwise says what to install.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [{ bin: '/usr/bin/chromium', pkg: 'chromium' }].filter((n) => !existsSync(n.bin));
if (needs.length === 0) process.exit(0);
const pkgs = needs.map((n) => n.pkg).join(' ');
if (process.getuid && process.getuid() === 0) {
  console.error(`[setup] installing Debian packages: ${pkgs}`);
  execSync(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkgs}`, { stdio: 'inherit' });
} else {
  console.error(`[setup] missing Debian packages: ${pkgs} — install them (sudo apt-get install ${pkgs}); the tests that drive them will fail without them`);
}
