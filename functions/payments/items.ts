/**
 * The catalogue of non-tax revenue items (非税收入项目) and the departments that may collect each.
 * Data, not code: a department may raise an order only for an item that lists it.
 */
export interface RevenueItem {
  itemCode: string;
  name: string;
  departments: string[];
}

export const REVENUE_ITEMS: readonly RevenueItem[] = [
  {
    itemCode: 'market-registration-fee',
    name: '企业登记费 (enterprise registration fee)',
    departments: ['dept-market'],
  },
  { itemCode: 'market-penalty', name: '市场监管罚没收入 (market regulation fines)', departments: ['dept-market'] },
  { itemCode: 'police-certificate-fee', name: '证明工本费 (certificate fee)', departments: ['dept-police'] },
  { itemCode: 'traffic-fine', name: '交通违法罚款 (traffic fine)', departments: ['dept-police', 'dept-transport'] },
  { itemCode: 'environment-penalty', name: '环境违法罚款 (environmental fine)', departments: ['dept-environment'] },
];

export const itemByCode = (itemCode: string): RevenueItem | undefined =>
  REVENUE_ITEMS.find((item) => item.itemCode === itemCode);
