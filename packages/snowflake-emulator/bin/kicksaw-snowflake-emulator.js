#!/usr/bin/env node
// A committed launcher (the bin target exists before the build, so installs never warn about a missing bin).
import '../dist/cli.js';
