"""Analytics services over the complaint tables: KPIs (complaint_kpis) and the 100 % ledger (ledger)."""
