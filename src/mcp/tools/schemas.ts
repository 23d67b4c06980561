import * as z from 'zod';

export const subscriptionId = z
  .string()
  .regex(
    /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    'must be a subscription GUID',
  )
  .describe('Subscription id (GUID), e.g. from get_subscriptions');

export const resourceGroupName = z
  .string()
  .min(1)
  .max(90)
  .regex(/^[-\w._()]*[-\w_()]$/u, 'is not a valid resource group name')
  .describe('Resource group name');
