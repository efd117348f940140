import { Customers } from './customers.js';
import { Keys } from './keys.js';
import { Logs } from './logs.js';
import { Models } from './models.js';
import { Spend } from './spend.js';
import { Teams } from './teams.js';
import { Users } from './users.js';

/** The pages of the admin, in navigation order: `#id` in the location selects one. */
export const PAGES = [
  { id: 'keys', label: 'Keys', component: Keys },
  { id: 'teams', label: 'Teams', component: Teams },
  { id: 'users', label: 'Users', component: Users },
  { id: 'customers', label: 'Customers', component: Customers },
  { id: 'models', label: 'Models', component: Models },
  { id: 'spend', label: 'Spend', component: Spend },
  { id: 'logs', label: 'Logs', component: Logs },
];
