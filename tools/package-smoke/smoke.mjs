import { createShortener } from '@linkpulse/core';
import { createEmbedded } from '@linkpulse/embedded';
import { linkpulseRouter } from '@linkpulse/express';
import { linkpulse } from '@linkpulse/fastify';
import express from 'express';
import Fastify from 'fastify';
import run from './run.cjs';

await run('ESM', { createShortener, createEmbedded, linkpulseRouter, linkpulse, express, Fastify });
