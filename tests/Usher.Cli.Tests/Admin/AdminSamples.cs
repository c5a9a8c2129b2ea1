namespace Usher.Cli.Tests.Admin;

/// <summary>Answers of the admin API shaped as its contract (docs/admin-api.md) gives them.</summary>
internal static class AdminSamples
{
    public const string CanaryStatus = """
        {"id":3,"endpoint":"fraud","model":"fraud","strategy":"canary","phase":"progressing","stable_version":1,"candidate_version":2,
         "step":1,"steps":[5,25,50,100],"weight":25,"interval_seconds":60,"step_started_at":"2026-11-28T20:01:00+00:00",
         "next_decision_at":"2026-11-28T20:02:00+00:00","rollback_window_ends_at":null,
         "reason":null,"created_at":"2026-11-28T20:00:00+00:00","updated_at":"2026-11-28T21:01:00+01:00",
         "analysis":{"verdict":"pass","summary":"candidate within every threshold","window_start":"2026-11-28T20:00:00+00:00",
           "stable":{"requests":950,"errors":0},"canary":{"requests":50,"errors":1},
           "checks":[{"name":"error_rate","outcome":"pass","detail":"canary 2.0% vs stable 0.0%, p=0.05 >= alpha 0.01","statistics":{"canary_error_rate":0.02}},
                     {"name":"latency_p99","outcome":"pass","detail":"ratio 1.10 <= 1.5","statistics":{}}]}}
        """;

    public const string BlueGreenStatus = """
        {"id":4,"endpoint":"fraud","model":"fraud","strategy":"blue-green","phase":"rollback_window","stable_version":2,"candidate_version":1,
         "step":null,"steps":[],"weight":100,"interval_seconds":null,"step_started_at":null,"next_decision_at":null,
         "rollback_window_ends_at":"2026-11-28T20:10:00Z","reason":"validated: 50/50 agree","created_at":"2026-11-28T20:00:00Z",
         "updated_at":"2026-11-28T20:00:05Z","analysis":null}
        """;

    public const string History = """
        {"endpoint":"fraud","events":[
          {"id":1,"rollout_id":3,"at":"2026-11-28T20:00:00+00:00","kind":"deploy","actor":"cli","message":"canary fraud:2 over fraud:1","data":null},
          {"id":2,"rollout_id":3,"at":"2026-11-28T20:01:00+00:00","kind":"step","actor":"controller","message":"canary weight 25%","data":{"weight":25}},
          {"id":3,"rollout_id":null,"at":"2026-11-28T20:01:30+00:00","kind":"fault","actor":"cli","message":"fault on fraud:2","data":null}]}
        """;

    public const string Endpoints = """
        {"endpoints":[
          {"name":"fraud","variants":[{"model":"fraud","version":1,"weight":75},{"model":"fraud","version":2,"weight":25}],
           "rollout":{"id":3,"strategy":"canary","phase":"progressing"},
           "faults":[{"variant":"fraud:2","abort_fraction":0.1,"abort_status":503,"delay_ms":0,"delay_fraction":0}]},
          {"name":"mlp-large","variants":[{"model":"mlp-large","version":1,"weight":100}],"rollout":null,"faults":[]}]}
        """;
}
