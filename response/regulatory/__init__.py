"""Regulatory clocks on incidents: the catalogue (`catalogue`), applying and stopping a clock
(`services`), the reads of the panel and the list (`selectors`), and the step the SLA sweep runs
for their thresholds (`sweep`)."""
