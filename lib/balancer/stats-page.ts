export const STATS_PAGE = '';
