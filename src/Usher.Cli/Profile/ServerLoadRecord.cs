using System.Text.Json.Serialization;

namespace Usher.Cli.Profile;

/// <summary>A point's <see cref="ServerLoad"/> in <see cref="PointRecord"/>.</summary>
/// <param name="MeasuredRps">Answers per second the client got, with the client where <see cref="Client"/> says.</param>
/// <param name="ServerCpuUsPerRequest">The server's CPU per answer, microseconds.</param>
/// <param name="ClientCpuUsPerRequest">The client's CPU per answer, microseconds.</param>
/// <param name="CapacityRps">The most the server's cores answer: cores x 10^6 / server CPU µs per answer.</param>
/// <param name="SharedWithClientRps">Capacity when the client runs on the server's cores too.</param>
/// <param name="ServerUtilization">Measured throughput over capacity: the share of its cores the server used.</param>
/// <param name="Client"><c>cores LIST</c> (pinned outside the server's cores) or <c>shared</c>.</param>
internal sealed record ServerLoadRecord(
    [property: JsonPropertyName("measured_rps")] double MeasuredRps,
    [property: JsonPropertyName("server_cpu_us_per_request")] double ServerCpuUsPerRequest,
    [property: JsonPropertyName("client_cpu_us_per_request")] double ClientCpuUsPerRequest,
    [property: JsonPropertyName("capacity_rps")] double CapacityRps,
    [property: JsonPropertyName("shared_with_client_rps")] double SharedWithClientRps,
    [property: JsonPropertyName("server_utilization")] double ServerUtilization,
    [property: JsonPropertyName("client")] string Client)
{
    public static ServerLoadRecord From(ServerLoad load)
    {
        ArgumentNullException.ThrowIfNull(load);
        return new ServerLoadRecord(
            R(load.MeasuredThroughput, 1),
            R(load.ServerCpuUsPerRequest, 1),
            R(load.ClientCpuUsPerRequest, 1),
            R(load.Capacity, 1),
            R(load.CapacitySharedWithClient, 1),
            R(load.ServerUtilization, 3),
            load.ClientCores is { } cores ? "cores " + cores : "shared");
    }

    // NaN (nothing measured) is not JSON: it reads as -1, as the latencies do.
    private static double R(double value, int digits) => double.IsFinite(value) ? Math.Round(value, digits) : -1;
}
