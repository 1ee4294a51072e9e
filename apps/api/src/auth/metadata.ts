import { Router } from 'express';
import { Scope } from './bearer.js';

export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

export interface ResourceMetadataOptions {
  /** The API's public base URL (the RFC 9728 resource identifier). */
  resource: string;
  issuer: string;
}

/** RFC 9728 protected resource metadata: tells generic OAuth clients which OP issues tokens for us. */
export function resourceMetadataRoute(options: ResourceMetadataOptions): Router {
  const router = Router();
  const body = {
    resource: options.resource,
    authorization_servers: [options.issuer],
    scopes_supported: Object.values(Scope),
    bearer_methods_supported: ['header'],
    resource_name: 'FDX v6.3 Core Exchange API',
  };
  router.get(RESOURCE_METADATA_PATH, (_req, res) => {
    res.json(body);
  });
  return router;
}
