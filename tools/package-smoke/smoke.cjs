const { createShortener } = require('@linkpulse/core');
const { createEmbedded } = require('@linkpulse/embedded');
const { linkpulseRouter } = require('@linkpulse/express');
const { linkpulse } = require('@linkpulse/fastify');
const express = require('express');
const Fastify = require('fastify');
const run = require('./run.cjs');

run('CJS', { createShortener, createEmbedded, linkpulseRouter, linkpulse, express, Fastify }).catch(
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
