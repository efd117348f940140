export interface RoleDescription {
  description: string;
  ui_label: string;
}

/**
 * `/user/available_roles`: the roles an admin may give a user, keyed by role, with LiteLLM's own descriptions and
 * labels (its admin UI shows `ui_label` and sends the key). As in LiteLLM, `team` and `customer` are roles a user
 * may hold but are not offered.
 */
export const AVAILABLE_ROLES: Readonly<Record<string, RoleDescription>> = Object.freeze({
  proxy_admin: { description: 'admin over litellm proxy, has all permissions', ui_label: 'Admin (All Permissions)' },
  proxy_admin_viewer: { description: 'view all keys, view all spend', ui_label: 'Admin (View Only)' },
  internal_user: {
    description: 'view/create/delete their own keys, view their own spend',
    ui_label: 'Internal User (Create/Delete/View)',
  },
  internal_user_viewer: {
    description: 'view their own keys, view their own spend',
    ui_label: 'Internal User (View Only)',
  },
});
