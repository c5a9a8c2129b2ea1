using Microsoft.Extensions.Time.Testing;
using Usher.Core.Scheduling;
using Usher.Server.Frontends;

namespace Usher.Server.Tests.Frontends;

/// <summary>A large request's release schedules one collection later, off the request; small ones none; bursts share one.</summary>
public sealed class MemoryReturnTests
{
    private readonly FakeTimeProvider _time = new();
    private int _collected;

    private MemoryReturn Create() => new(_time, () => _collected++)
    {
        Threshold = 1000,
        Delay = TimeSpan.FromSeconds(2),
        MinInterval = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public void Released_Small_SchedulesNothing()
    {
        using var memoryReturn = Create();
        memoryReturn.Released(999);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, _collected);
    }

    [Fact]
    public void Released_Large_CollectsAfterTheDelay_ThenOnceMoreAfterTheInterval_ThenStops()
    {
        using var memoryReturn = Create();
        memoryReturn.Released(1000);
        Assert.Equal(0, _collected);
        _time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Equal(0, _collected);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(1, _collected);

        // The follow-up, for tensors the request still held at the first.
        _time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.Equal(1, _collected);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(2, _collected);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, _collected);
    }

    [Fact]
    public void Released_InABurst_SharesOneCollection_AndCollectionsKeepTheirInterval()
    {
        using var memoryReturn = Create();
        for (var i = 0; i < 4; i++)
        {
            memoryReturn.Released(5000);
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, _collected);

        // One second after the first collection: it joins the follow-up, 10 s after the first.
        _time.Advance(TimeSpan.FromSeconds(1));
        memoryReturn.Released(5000);
        _time.Advance(TimeSpan.FromSeconds(8.9));
        Assert.Equal(1, _collected);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(2, _collected);

        // That one answered a release, so one more follows; then nothing.
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(3, _collected);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, memoryReturn.Collections);
    }

    [Fact]
    public void RequestMemory_OnDispose_ReportsEverythingItReserved()
    {
        using var memoryReturn = Create();
        var budget = new MemoryBudget(1 << 20);
        using (var memory = new RequestMemory(budget, long.MaxValue, memoryReturn))
        {
            Assert.Null(memory.Reserve(600, "the request body"));
            Assert.Null(memory.Reserve(600, "input 'x'"));
        }

        // 1,200 bytes in all, over the threshold of 1,000 though neither part is.
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, _collected);
        Assert.Equal(0, budget.Used);
    }
}
