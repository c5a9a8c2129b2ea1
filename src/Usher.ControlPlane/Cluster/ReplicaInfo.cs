using System.Text.Json.Serialization;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// One replica as the registry (the <c>replicas</c> table of the shared state) knows it: where it
/// answers, where it runs, what it has loaded and how busy it is, as of its last heartbeat.
/// </summary>
/// <param name="Id">Unique per process run (a restarted replica registers anew).</param>
/// <param name="HttpAddress">Base URL of its REST front end, for example <c>http://10.0.0.5:8000</c>.</param>
/// <param name="GrpcAddress">Base URL of its gRPC front end, or null when it serves none.</param>
/// <param name="Region">The region it runs in (<c>--region</c>; <c>default</c> when not given).</param>
/// <param name="Labels">Its labels (<c>--label hw=cpu,...</c>), for example the hardware it offers.</param>
/// <param name="Models">The model versions it has loaded, with their readiness.</param>
/// <param name="QueueDepth">Requests waiting in its batch queues.</param>
/// <param name="InFlight">Requests being answered.</param>
/// <param name="Capacity">Batches it can run at once: the instances of its loaded versions, summed.</param>
/// <param name="StartedAt">When it registered.</param>
/// <param name="HeartbeatAt">Its last heartbeat.</param>
/// <param name="DownAt">When it was marked down (no heartbeat within the timeout, or a clean stop), or null while up.</param>
internal sealed record ReplicaInfo(
    string Id,
    string HttpAddress,
    string? GrpcAddress,
    string Region,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<ReplicaModel> Models,
    int QueueDepth,
    int InFlight,
    int Capacity,
    DateTimeOffset StartedAt,
    DateTimeOffset HeartbeatAt,
    DateTimeOffset? DownAt)
{
    /// <summary>Whether it is up (not marked down).</summary>
    public bool IsUp => DownAt is null;
}

/// <summary>A model version a replica has loaded, whether it is ready to answer, and the hardware it requires.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Version">The version.</param>
/// <param name="Ready">Whether it answers now.</param>
/// <param name="Hardware">
/// The <c>hardware:</c> of the config the version was loaded with, which a replica's <c>hw</c> label
/// must match (<see cref="HardwareLabel.Satisfies"/>) for the gateway to send it the model's requests;
/// null = any hardware (also what a row written before the field existed reads as).
/// </param>
internal sealed record ReplicaModel(
    string Model,
    long Version,
    bool Ready,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Hardware = null);
