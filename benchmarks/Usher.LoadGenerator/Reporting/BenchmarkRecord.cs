using Usher.LoadGenerator.Load;

namespace Usher.LoadGenerator.Reporting;

/// <summary>One line of the results file that <c>benchmarks/run-load.sh</c> writes: which run, and its result.</summary>
/// <param name="Model">The model called (<c>fraud</c>, <c>mlp-large</c>).</param>
/// <param name="Config">The server: <c>bare</c> (BareKestrel), <c>off</c> or <c>on</c> (Usher, dynamic batching off or on).</param>
/// <param name="Concurrency">Workers.</param>
/// <param name="Result">What the load generator measured.</param>
/// <param name="Round">Which pass over every point this was (1, 2, ...).</param>
internal sealed record BenchmarkRecord(string Model, string Config, int Concurrency, LoadResult Result, int Round = 1)
{
    public const string Bare = "bare";
    public const string BatchingOff = "off";
    public const string BatchingOn = "on";

    public static string Describe(string config) => config switch
    {
        Bare => "bare Kestrel",
        BatchingOff => "Usher, batching off",
        BatchingOn => "Usher, batching on",
        _ => config,
    };
}
