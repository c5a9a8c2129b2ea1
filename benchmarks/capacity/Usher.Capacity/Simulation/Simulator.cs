using Usher.Capacity.Hpa;

namespace Usher.Capacity.Simulation;

/// <summary>
/// Steps a fleet of replicas through a traffic curve one second at a time. Load is spread evenly over
/// the ready pods; each pod is a stationary c-server queue (<see cref="Queueing.ReplicaQueue"/>) up to
/// 98% utilisation, and arrivals beyond the fleet's capacity pile up as a backlog (a fluid queue) that
/// delays every later request by backlog / capacity until it drains. Every 15 s the HPA reads the
/// metric averaged over the period on the ready pods and sets the replicas; new pods take traffic
/// after the start-up delay; removed pods leave at once (starting ones first).
/// </summary>
internal static class Simulator
{
    public static SimulationResult Run(SimulationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var queue = settings.Queue;
        var hpa = settings.Mode == ScalingMode.Fixed || settings.Hpa is null ? null : new HorizontalPodAutoscaler(settings.Hpa);
        var ready = settings.InitialReplicas;
        var starting = new List<int>(); // the second each starting pod becomes ready, oldest first
        var backlog = 0.0;
        var metricSum = 0.0;
        var cpuSum = 0.0;
        var metricSeconds = 0;
        var samples = new SecondSample[settings.Traffic.DurationSeconds];
        for (var second = 0; second < samples.Length; second++)
        {
            var nowReady = starting.RemoveAll(at => at <= second);
            ready += nowReady;

            var rps = settings.Traffic.RateAt(second);
            var capacity = ready * queue.Capacity;
            backlog = Math.Min(Math.Max(0, backlog + rps - capacity), settings.MaxQueuePerPod * ready);
            var perPod = rps / ready;
            var stationary = Math.Min(perPod, SimulationSettings.MaxStationaryUtilization * queue.Capacity);
            var delay = backlog / capacity;
            var queuePerPod = queue.MeanQueueLength(stationary) + (backlog / ready);
            var utilization = backlog > 0 ? 1 : Math.Min(1, queue.Utilization(perPod));
            samples[second] = new SecondSample(rps, ready + starting.Count, ready, queuePerPod, utilization,
                new Queueing.QueueState(queue, stationary, delay, rps));

            var executing = backlog > 0 ? queue.Servers : Math.Min(queue.Servers, stationary / queue.ServiceRate);
            metricSum += settings.Mode switch
            {
                ScalingMode.Cpu => utilization,
                ScalingMode.InFlight => queuePerPod + executing,
                _ => queuePerPod,
            };
            cpuSum += utilization;
            metricSeconds++;
            var now = second + 1;
            if (hpa is not null && now % HpaSpec.SyncPeriodSeconds == 0)
            {
                var average = metricSum / metricSeconds;
                var cpu = cpuSum / metricSeconds;
                metricSum = 0;
                cpuSum = 0;
                metricSeconds = 0;
                var current = ready + starting.Count;
                var desired = hpa.Reconcile(now, current, [.. Enumerable.Repeat(average, ready)], starting.Count,
                    settings.Mode == ScalingMode.QueueDepthAndCpu ? [.. Enumerable.Repeat(cpu, ready)] : null);
                for (var i = current; i < desired; i++)
                {
                    starting.Add(now + settings.StartupSeconds);
                }

                for (var i = desired; i < current; i++)
                {
                    if (starting.Count > 0)
                    {
                        starting.RemoveAt(starting.Count - 1);
                    }
                    else
                    {
                        ready--;
                    }
                }
            }
        }

        return new SimulationResult(settings, samples);
    }
}
