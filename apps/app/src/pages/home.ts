import { Router } from 'express';

const NOTICES: Record<string, string> = {
  'session-ended': 'Your session at the identity provider has ended (the refresh was refused). Please log in again.',
  'logged-out': 'You are logged out of this app.',
};

export function homeRoutes(): Router {
  const router = Router();
  router.get('/', (req, res) => {
    const key = typeof req.query.notice === 'string' ? req.query.notice : '';
    res.render('home', { title: 'Home', notice: NOTICES[key] });
  });
  return router;
}
