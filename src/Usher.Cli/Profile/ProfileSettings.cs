namespace Usher.Cli.Profile;

/// <summary>What <c>usher profile</c> was asked to do.</summary>
/// <param name="Repository">The model repository (only read).</param>
/// <param name="Model">The model's folder name.</param>
/// <param name="Version">The version to profile; null: the newest.</param>
/// <param name="SloP99Ms">The p99 latency objective; null: recommend the highest throughput.</param>
/// <param name="TargetRps">The load to plan replicas for; null: one replica's capacity only.</param>
/// <param name="Grid">The sweep.</param>
/// <param name="Warmup">Load before each point's measured window.</param>
/// <param name="Duration">Each point's measured window.</param>
/// <param name="Concurrency">Closed-loop requests in flight; null: 2 x batch size x instances per point.</param>
/// <param name="IncludeQuantized">Also sweep versions quantized from <see cref="Version"/> (their <c>quantization.json</c> says so).</param>
/// <param name="Seed">Seeds the generated inputs.</param>
/// <param name="Protocol">How the client talks to each point's server: <c>rest</c> (JSON), <c>rest-binary</c> or <c>grpc</c>.</param>
/// <param name="SloHeadroom">The share of the SLO the recommendation keeps free (<see cref="Recommender.Choose"/>), 0 to below 1.</param>
/// <param name="Repeats">How many times the contenders (<see cref="Recommender.Contenders"/>) are measured in all, 1 or more.</param>
internal sealed record ProfileSettings(
    string Repository,
    string Model,
    long? Version,
    double? SloP99Ms,
    double? TargetRps,
    ProfileGrid Grid,
    TimeSpan Warmup,
    TimeSpan Duration,
    int? Concurrency,
    bool IncludeQuantized,
    int Seed = 1,
    string Protocol = "rest",
    double SloHeadroom = Recommender.DefaultSloHeadroom,
    int Repeats = ProfileJob.DefaultRepeats);
