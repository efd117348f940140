import type { z } from 'zod';
import {
  budgetInfoSchema,
  budgetSettingsSchema,
  deleteBudgetSchema,
  listBudgetsSchema,
  newBudgetSchema,
  updateBudgetSchema,
} from '../keys/budgets/budget-requests.dto';
import {
  customerIdsSchema,
  customerInfoSchema,
  listCustomersSchema,
  newCustomerSchema,
  updateCustomerSchema,
} from '../keys/customers/customer-requests.dto';
import {
  deleteKeysSchema,
  generateKeySchema,
  keyInfoSchema,
  keyInfoV2Schema,
  keyRefSchema,
  listKeysSchema,
  regenerateKeySchema,
  updateKeySchema,
} from '../keys/dto/key-requests.dto';
import {
  deleteTeamsSchema,
  listTeamsSchema,
  memberAddSchema,
  memberDeleteSchema,
  memberUpdateSchema,
  newTeamSchema,
  teamInfoSchema,
  teamRefSchema,
  updateTeamSchema,
} from '../keys/teams/team-requests.dto';
import {
  deleteUsersSchema,
  listUsersSchema,
  newUserSchema,
  updateUserSchema,
  userInfoSchema,
} from '../keys/users/user-requests.dto';
import {
  globalActivityQuery,
  globalEndUsersBody,
  globalSpendKeysQuery,
  globalSpendModelsQuery,
  spendTagsQuery,
} from '../spend/global-spend-queries';
import { modelGroupInfoQuery, modelInfoV2Query } from '../proxy/models/model-info-queries';
import { spendCalculateBody } from '../spend/spend-calculate';
import { spendLogsQuery, spendReportQuery } from '../spend/spend-queries';

/** What a management route reads: the zod schema its handler parses the body or the query string with. */
export interface RouteInput {
  body?: z.ZodType;
  query?: z.ZodType;
}

/**
 * The inputs of the management routes, by the operation id Swagger gives a handler (`Controller_method`). The
 * handlers take `unknown` and parse it with these schemas, so the schemas, not TypeScript types, are the contract.
 */
export const ROUTE_INPUTS: Record<string, RouteInput> = {
  KeysController_generate: { body: generateKeySchema },
  KeysController_info: { query: keyInfoSchema },
  KeysController_update: { body: updateKeySchema },
  KeysController_delete: { body: deleteKeysSchema },
  KeysController_regenerate: { body: regenerateKeySchema },
  KeysController_regenerateByPath: { body: regenerateKeySchema },
  KeysController_list: { query: listKeysSchema },
  KeysController_block: { body: keyRefSchema },
  KeysController_unblock: { body: keyRefSchema },
  KeyInfoV2Controller_info: { body: keyInfoV2Schema },
  TeamsController_create: { body: newTeamSchema },
  TeamsController_info: { query: teamInfoSchema },
  TeamsController_update: { body: updateTeamSchema },
  TeamsController_delete: { body: deleteTeamsSchema },
  TeamsController_list: { query: listTeamsSchema },
  TeamsController_block: { body: teamRefSchema },
  TeamsController_unblock: { body: teamRefSchema },
  TeamsController_memberAdd: { body: memberAddSchema },
  TeamsController_memberDelete: { body: memberDeleteSchema },
  TeamsController_memberUpdate: { body: memberUpdateSchema },
  UsersController_create: { body: newUserSchema },
  UsersController_info: { query: userInfoSchema },
  UsersController_update: { body: updateUserSchema },
  UsersController_delete: { body: deleteUsersSchema },
  UsersController_list: { query: listUsersSchema },
  CustomersController_create: { body: newCustomerSchema },
  CustomersController_info: { query: customerInfoSchema },
  CustomersController_update: { body: updateCustomerSchema },
  CustomersController_delete: { body: customerIdsSchema },
  CustomersController_list: { query: listCustomersSchema },
  CustomersController_block: { body: customerIdsSchema },
  CustomersController_unblock: { body: customerIdsSchema },
  BudgetsController_create: { body: newBudgetSchema },
  BudgetsController_update: { body: updateBudgetSchema },
  BudgetsController_info: { body: budgetInfoSchema },
  BudgetsController_settings: { query: budgetSettingsSchema },
  BudgetsController_list: { query: listBudgetsSchema },
  BudgetsController_delete: { body: deleteBudgetSchema },
  SpendController_logs: { query: spendLogsQuery },
  SpendController_report: { query: spendReportQuery },
  SpendCalculateController_calculate: { body: spendCalculateBody },
  ModelsController_infoV2: { query: modelInfoV2Query },
  ModelsController_groupInfo: { query: modelGroupInfoQuery },
  GlobalSpendController_tags: { query: spendTagsQuery },
  GlobalSpendController_keys: { query: globalSpendKeysQuery },
  GlobalSpendController_models: { query: globalSpendModelsQuery },
  GlobalSpendController_endUsers: { body: globalEndUsersBody },
  GlobalSpendController_activity: { query: globalActivityQuery },
};
