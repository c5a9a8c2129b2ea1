using Microsoft.Extensions.Time.Testing;
using Usher.Core.Scheduling;

namespace Usher.Core.Tests.Scheduling;

public sealed class InstanceLoadTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    private long Ticks(double seconds) => (long)(seconds * _time.TimestampFrequency);

    [Fact]
    public void Read_IsBusyTimeOverInstanceTime_AndTimePerRequest()
    {
        var load = new InstanceLoad(2, _time, TimeSpan.FromSeconds(10));
        load.BatchRan(3, Ticks(4));
        _time.Advance(TimeSpan.FromSeconds(10));

        var reading = load.Read();

        // 4 s busy of 2 instances x 10 s; 4 s over 3 requests.
        Assert.Equal(0.2, reading.Utilization, 12);
        Assert.Equal(4.0 / 3, reading.TimePerRequest.TotalSeconds, 6);
        Assert.Equal(TimeSpan.FromSeconds(10), reading.Span);
    }

    [Fact]
    public void Read_AcrossAChangeOfInstances_WeighsEachCountByItsTime_AndSlidesTheWindow()
    {
        var load = new InstanceLoad(2, _time, TimeSpan.FromSeconds(10));
        load.BatchRan(3, Ticks(4));
        _time.Advance(TimeSpan.FromSeconds(10));
        load.Read(); // a snapshot at t = 10

        load.SetInstances(4);
        _time.Advance(TimeSpan.FromSeconds(5));
        load.BatchRan(1, Ticks(5));
        var atFifteen = load.Read(); // a snapshot at t = 15; the base is still t = 0

        // t = 0..15: 9 s busy over 2 x 10 + 4 x 5 = 40 instance-seconds.
        Assert.Equal(9.0 / 40, atFifteen.Utilization, 12);
        Assert.Equal(2.25, atFifteen.TimePerRequest.TotalSeconds, 6);

        _time.Advance(TimeSpan.FromSeconds(7));
        var atTwentyTwo = load.Read();

        // The newest snapshot at least 10 s old is t = 10: 5 s busy over 4 x 12 instance-seconds.
        Assert.Equal(5.0 / 48, atTwentyTwo.Utilization, 12);
        Assert.Equal(TimeSpan.FromSeconds(12), atTwentyTwo.Span);
        Assert.Equal(5.0, atTwentyTwo.TimePerRequest.TotalSeconds, 6);
    }

    [Fact]
    public void Read_ABatchLongerThanTheWindow_IsCappedAtOne()
    {
        var load = new InstanceLoad(1, _time, TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromSeconds(10));
        load.BatchRan(1, Ticks(30));

        Assert.Equal(1.0, load.Read().Utilization);
    }

    [Fact]
    public void Read_WithoutABatchEndingInTheWindow_KeepsTheLastTimePerRequest()
    {
        var load = new InstanceLoad(1, _time, TimeSpan.FromSeconds(10));
        load.BatchRan(2, Ticks(1));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0.5, load.Read().TimePerRequest.TotalSeconds, 6);

        _time.Advance(TimeSpan.FromSeconds(30));
        var idle = load.Read();
        _time.Advance(TimeSpan.FromSeconds(30));
        idle = load.Read();

        Assert.Equal(0, idle.Utilization);
        Assert.Equal(0.5, idle.TimePerRequest.TotalSeconds, 6);
    }

    [Fact]
    public void Reset_ForgetsWhatRanBefore()
    {
        var load = new InstanceLoad(1, _time, TimeSpan.FromSeconds(10));
        load.BatchRan(1, Ticks(5));
        load.Reset();
        _time.Advance(TimeSpan.FromSeconds(10));

        var reading = load.Read();
        Assert.Equal(0, reading.Utilization);
        Assert.Equal(TimeSpan.Zero, reading.TimePerRequest);
    }
}
