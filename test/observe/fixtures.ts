/** Two scrapes of a run, two seconds apart: what `sanctum top` is tested (and documented) with. */
export const first = `# HELP sanctum_stream_events_total Events written to the stream.
# TYPE sanctum_stream_events_total counter
sanctum_stream_events_total{stream="orders"} 1000
sanctum_stream_events_total{stream="enriched"} 900
sanctum_stream_events_total{stream="dead-letters"} 10
sanctum_spell_events_in_total{spell="validate"} 1000
sanctum_spell_events_in_total{spell="enrich"} 900
sanctum_spell_events_out_total{spell="validate",port="out"} 900
sanctum_spell_events_out_total{spell="enrich",port="out"} 900
sanctum_spell_events_out_total{spell="enrich",port="alerts"} 50
sanctum_spell_errors_total{spell="validate",code="SPELL_RUNTIME"} 10
sanctum_spell_dead_letters_total{spell="validate",code="SPELL_RUNTIME"} 10
sanctum_spell_cast_duration_seconds_sum{spell="validate"} 0.001
sanctum_spell_cast_duration_seconds_count{spell="validate"} 60
sanctum_spell_cast_duration_seconds_sum{spell="enrich"} 0.002
sanctum_spell_cast_duration_seconds_count{spell="enrich"} 56
sanctum_spell_lua_memory_bytes{spell="validate"} 51200
sanctum_spell_lua_memory_bytes{spell="enrich"} 2097152
sanctum_consumer_lag_events{consumer="totals",stream="enriched"} 40
sanctum_consumer_lag_events{consumer="audit",stream="enriched"} 75
sanctum_stream_commit_duration_seconds_sum{stream="enriched"} 0.5
sanctum_stream_commit_duration_seconds_count{stream="enriched"} 100
sanctum_sink_events_total{sink="console"} 950
sanctum_dead_letters_total 10
process_cpu_seconds_total 1.5
process_resident_memory_bytes 104857600
nodejs_eventloop_lag_seconds 0.0021
`;
// Two seconds later: 2000 more orders, 30 more errors.
export const second = first
  .replace('{stream="orders"} 1000', '{stream="orders"} 3000')
  .replace('{stream="enriched"} 900', '{stream="enriched"} 2870')
  .replace('{stream="dead-letters"} 10', '{stream="dead-letters"} 40')
  .replace('{spell="validate"} 1000', '{spell="validate"} 3000')
  .replace('{spell="enrich"} 900', '{spell="enrich"} 2870')
  .replace('{spell="validate",port="out"} 900', '{spell="validate",port="out"} 2870')
  .replace('{spell="enrich",port="out"} 900', '{spell="enrich",port="out"} 2870')
  .replace('errors_total{spell="validate",code="SPELL_RUNTIME"} 10', 'errors_total{spell="validate",code="SPELL_RUNTIME"} 40')
  .replace('dead_letters_total{spell="validate",code="SPELL_RUNTIME"} 10', 'dead_letters_total{spell="validate",code="SPELL_RUNTIME"} 40')
  .replace('_sum{spell="validate"} 0.001', '_sum{spell="validate"} 0.0014')
  .replace('_count{spell="validate"} 60', '_count{spell="validate"} 185')
  .replace('commit_duration_seconds_sum{stream="enriched"} 0.5', 'commit_duration_seconds_sum{stream="enriched"} 0.7')
  .replace('commit_duration_seconds_count{stream="enriched"} 100', 'commit_duration_seconds_count{stream="enriched"} 200')
  .replace('{sink="console"} 950', '{sink="console"} 2950')
  .replace('sanctum_dead_letters_total 10', 'sanctum_dead_letters_total 40')
  .replace('process_cpu_seconds_total 1.5', 'process_cpu_seconds_total 3.1');
