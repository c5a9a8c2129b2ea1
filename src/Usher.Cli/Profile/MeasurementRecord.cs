using System.Text.Json.Serialization;

namespace Usher.Cli.Profile;

/// <summary>How every point was measured: a server in the profile's process, a closed loop from <c>usher bench</c> in another, one row per request.</summary>
/// <param name="WarmupSeconds">Load before each point's window, not recorded.</param>
/// <param name="DurationSeconds">Each point's measured window.</param>
/// <param name="Concurrency">Requests in flight when fixed by <c>--concurrency</c>; null: 2 x batch size x instances per point (each point's <c>concurrency</c>).</param>
/// <param name="Seed">Seeds the generated inputs.</param>
/// <param name="Protocol">The client's protocol: <c>rest</c>, <c>rest-binary</c> or <c>grpc</c>.</param>
/// <param name="Client">Where the client ran: <c>cores LIST</c> (outside the server's cores) or <c>shared</c>.</param>
/// <param name="Throughput">What every point's <c>throughput_rps</c> means (<see cref="ServerLoad.Predicted"/>).</param>
/// <param name="Repeats">How many times the contenders were measured (<c>--repeats</c>); every other point once.</param>
internal sealed record MeasurementRecord(
    [property: JsonPropertyName("warmup_seconds")] double WarmupSeconds,
    [property: JsonPropertyName("duration_seconds")] double DurationSeconds,
    [property: JsonPropertyName("concurrency")] int? Concurrency,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("protocol")] string Protocol,
    [property: JsonPropertyName("client")] string Client,
    [property: JsonPropertyName("throughput")] string Throughput,
    [property: JsonPropertyName("repeats")] int Repeats);
