using Usher.Core.Repository;

namespace Usher.ControlPlane.Cluster;

/// <summary>What a replica reports with each heartbeat: its model versions and how busy it is now.</summary>
/// <param name="Models">Its model versions with their readiness.</param>
/// <param name="QueueDepth">Requests waiting in its batch queues.</param>
/// <param name="InFlight">Requests being answered (leases held on loaded versions).</param>
/// <param name="Capacity">Batches it can run at once: the instances of its loaded versions, summed.</param>
internal sealed record ReplicaLoad(IReadOnlyList<ReplicaModel> Models, int QueueDepth, int InFlight, int Capacity)
{
    /// <summary>A replica with nothing loaded.</summary>
    public static ReplicaLoad Idle { get; } = new([], 0, 0, 0);

    /// <summary>
    /// Reads the model manager's current snapshot: every version of every model that is not
    /// explicitly unloaded, ready when it is loaded and serving (a version parked under a memory
    /// budget reports not ready: the gateway sends its requests to a replica that has it loaded);
    /// queue depth, in-flight and instances summed over the loaded versions. Each version carries the
    /// <c>hardware:</c> requirement of the config it was loaded with (or, parked, will load with).
    /// </summary>
    public static ReplicaLoad Measure(ModelManager models)
    {
        ArgumentNullException.ThrowIfNull(models);
        var list = new List<ReplicaModel>();
        int queue = 0, inFlight = 0, capacity = 0;
        foreach (var entry in models.Models)
        {
            if (entry.Unloaded)
            {
                continue;
            }

            foreach (var slot in entry.Versions)
            {
                // Each version its own config's requirement: a version whose reload failed keeps serving with the config it was loaded with.
                var hardware = (slot.Loaded?.Config ?? slot.Source?.Config)?.Hardware;
                list.Add(new ReplicaModel(entry.Name, slot.Version, slot.State == ModelState.Ready && slot.Loaded is not null, hardware));
                if (slot.Loaded is { } loaded)
                {
                    queue += loaded.Pending;
                    inFlight += loaded.InFlight;
                    capacity += loaded.Batcher.Instances;
                }
            }
        }

        return new ReplicaLoad(list, queue, inFlight, capacity);
    }
}
