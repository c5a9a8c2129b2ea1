using Usher.Capacity.Hpa;
using Usher.Capacity.Queueing;
using Usher.Capacity.Simulation;
using Usher.Capacity.Traffic;

namespace Usher.Capacity.Tests.Simulation;

public sealed class SimulatorTests
{
    private static readonly ReplicaQueue Queue = new(2, 50, ServiceTimes.Deterministic); // 100 req/s a replica

    private static SimulationResult Fixed(int replicas, params TrafficStep[] steps) =>
        Simulator.Run(new SimulationSettings("fixed", Queue, new TrafficCurve(steps), ScalingMode.Fixed, null, replicas, 0, 100));

    [Fact]
    public void UnderCapacity_TheQueueIsTheStationaryOne()
    {
        // 3 replicas, 240 req/s: 80 each, rho 0.8. M/M/2 at a = 1.6: C = 1.6^2/2 x 2/0.4 / (1 + 1.6 + 6.4) = 6.4/9 = 0.7111;
        // M/D/2 here: Wq = C / (2 (100 - 80)) = 17.78 ms, Lq = 80 x Wq = 1.4222.
        var result = Fixed(3, new TrafficStep(60, 240));
        var minute = result.Minutes[0];
        Assert.Equal(6.4 / 9 / 40 * 80, minute.QueuePerPod, 6);
        Assert.Equal(0.8, minute.Utilization, 9);

        // p99: 20 ms of service + ln(C / 0.01) / 40 s of waiting = 20 + 106.6 ms.
        Assert.Equal(20 + (Math.Log(6.4 / 9 / 0.01) / 40 * 1000), minute.P99Ms, 3);
    }

    [Fact]
    public void PastCapacity_TheBacklogGrowsByTheExcessEverySecond()
    {
        // 1 replica of 100 req/s under 150 req/s: the backlog grows by 50 each second: 500 after 10 s.
        var result = Fixed(1, new TrafficStep(10, 150), new TrafficStep(10, 50));
        var stationary = Queue.MeanQueueLength(98); // capped at 98% utilisation
        Assert.Equal(500 + stationary, result.Seconds[9].QueuePerPod, 6);
        Assert.Equal(5.0, result.Seconds[9].State.Delay, 9); // 500 requests ahead at 100/s

        // Then 50 req/s drain it by 50 a second: empty after 10 more seconds.
        Assert.Equal(50 + Queue.MeanQueueLength(50), result.Seconds[18].QueuePerPod, 6);
        Assert.Equal(Queue.MeanQueueLength(50), result.Seconds[19].QueuePerPod, 6);
        Assert.Equal(1, result.Seconds[9].Utilization);
    }

    [Fact]
    public void PastTheQueueBound_ArrivalsAreTurnedAway()
    {
        // The server's bound of 100 waiting per pod: the backlog stops at 100 requests, 1 s behind at 100/s.
        var settings = new SimulationSettings("bounded", Queue, new TrafficCurve([new TrafficStep(10, 150)]), ScalingMode.Fixed, null, 1, 0, 100, MaxQueuePerPod: 100);
        var result = Simulator.Run(settings);
        Assert.Equal(100, result.Seconds[1].State.Delay * 100, 6);  // 2 s x 50 = 100: at the bound
        Assert.Equal(1.0, result.Seconds[9].State.Delay, 9);        // still 100 ahead, not 500
    }

    [Fact]
    public void NewPods_TakeTrafficOnlyAfterTheirStartup()
    {
        // 2 pods at 70% of capacity, then the load triples: CPU at 1.0 -> at 15 s the HPA asks for more,
        // which become ready at 15 + 45 = 60 s, not before.
        var traffic = new TrafficCurve([new TrafficStep(5, 140), new TrafficStep(115, 420)]);
        var spec = new HpaSpec(1, 20, 0.7, 0.1, ScalingRules.DefaultScaleUp, ScalingRules.DefaultScaleDown, StartingPods.Ignored);
        var result = Simulator.Run(new SimulationSettings("cpu", Queue, traffic, ScalingMode.Cpu, spec, 2, 45, 100));

        Assert.Equal(2, result.Seconds[14].Pods);
        Assert.True(result.Seconds[15].Pods > 2, "the HPA scaled up at 15 s");
        Assert.Equal(2, result.Seconds[59].Ready);
        Assert.True(result.Seconds[60].Ready > 2, "the first new pods are ready 45 s after 15 s");

        // Pods are paid for while they start: replica-hours count them.
        Assert.Equal(result.Seconds.Sum(s => (double)s.Pods) / 3600, result.Summary.ReplicaHours, 9);
    }

    [Fact]
    public void Summary_CountsMinutesOverTheSlo()
    {
        // Minute 1 under capacity (p99 ~ 126 ms < 1 s SLO), minute 2 overloaded (a backlog of seconds).
        var result = Simulator.Run(new SimulationSettings("fixed", Queue, new TrafficCurve([new TrafficStep(60, 240), new TrafficStep(60, 400)]),
            ScalingMode.Fixed, null, 3, 0, 1000));
        Assert.Equal(1, result.Summary.SloViolationMinutes);
        Assert.True(result.Minutes[1].P99Ms > 1000);
        Assert.Equal(3, result.Summary.MaxPods);
        Assert.Equal(3 * 120 / 3600.0, result.Summary.ReplicaHours, 9);
    }
}
