/**
 * Mainland provinces used by the `taobao` and `recharge` scenarios.
 * `name` is the pinyin written into events (ASCII, safe as DynamoDB keys, CSV cells and URL
 * parameters); `zh` is for display; `mobileCode` is the China Mobile style province code used as
 * the recharge scenario's `provinceCode`; `weight` is a rough share of online shoppers / subscribers.
 */
export interface Province {
  readonly name: string;
  readonly zh: string;
  readonly mobileCode: string;
  readonly weight: number;
}

export const PROVINCES: readonly Province[] = [
  { name: 'Guangdong', zh: '广东', mobileCode: '200', weight: 12 },
  { name: 'Zhejiang', zh: '浙江', mobileCode: '571', weight: 9 },
  { name: 'Jiangsu', zh: '江苏', mobileCode: '250', weight: 9 },
  { name: 'Shanghai', zh: '上海', mobileCode: '210', weight: 7 },
  { name: 'Beijing', zh: '北京', mobileCode: '100', weight: 6 },
  { name: 'Shandong', zh: '山东', mobileCode: '531', weight: 6 },
  { name: 'Sichuan', zh: '四川', mobileCode: '280', weight: 5 },
  { name: 'Henan', zh: '河南', mobileCode: '371', weight: 5 },
  { name: 'Hubei', zh: '湖北', mobileCode: '270', weight: 5 },
  { name: 'Fujian', zh: '福建', mobileCode: '591', weight: 4 },
  { name: 'Hunan', zh: '湖南', mobileCode: '731', weight: 4 },
  { name: 'Anhui', zh: '安徽', mobileCode: '551', weight: 3 },
  { name: 'Hebei', zh: '河北', mobileCode: '311', weight: 3 },
  { name: 'Liaoning', zh: '辽宁', mobileCode: '240', weight: 3 },
  { name: 'Chongqing', zh: '重庆', mobileCode: '230', weight: 3 },
  { name: 'Shaanxi', zh: '陕西', mobileCode: '290', weight: 3 },
  { name: 'Tianjin', zh: '天津', mobileCode: '220', weight: 2 },
  { name: 'Jiangxi', zh: '江西', mobileCode: '791', weight: 2 },
  { name: 'Guangxi', zh: '广西', mobileCode: '771', weight: 2 },
  { name: 'Yunnan', zh: '云南', mobileCode: '871', weight: 2 },
  { name: 'Shanxi', zh: '山西', mobileCode: '351', weight: 2 },
  { name: 'Heilongjiang', zh: '黑龙江', mobileCode: '451', weight: 2 },
  { name: 'Jilin', zh: '吉林', mobileCode: '431', weight: 1 },
  { name: 'Guizhou', zh: '贵州', mobileCode: '851', weight: 1 },
  { name: 'Inner Mongolia', zh: '内蒙古', mobileCode: '471', weight: 1 },
  { name: 'Xinjiang', zh: '新疆', mobileCode: '991', weight: 1 },
  { name: 'Gansu', zh: '甘肃', mobileCode: '931', weight: 1 },
  { name: 'Hainan', zh: '海南', mobileCode: '898', weight: 1 },
  { name: 'Ningxia', zh: '宁夏', mobileCode: '951', weight: 1 },
  { name: 'Qinghai', zh: '青海', mobileCode: '971', weight: 1 },
  { name: 'Tibet', zh: '西藏', mobileCode: '891', weight: 1 },
];
