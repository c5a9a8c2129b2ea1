using Microsoft.Extensions.Time.Testing;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class LargeBufferReclaimerTests
{
    [Fact]
    public void Released_Large_CollectsOnceAfterTheDelay_HoweverManyInTheBurst()
    {
        var time = new FakeTimeProvider();
        var collections = 0;
        var reclaimer = new LargeBufferReclaimer(time, () => collections++);
        reclaimer.Released(LargeBufferReclaimer.Threshold);
        reclaimer.Released(60_000_000);
        time.Advance(LargeBufferReclaimer.Delay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, collections);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, collections);

        // The next burst gets its own.
        reclaimer.Released(60_000_000);
        time.Advance(LargeBufferReclaimer.Delay);
        Assert.Equal(2, collections);
    }

    [Fact]
    public void Released_Small_NeverCollects()
    {
        var time = new FakeTimeProvider();
        var collections = 0;
        var reclaimer = new LargeBufferReclaimer(time, () => collections++);
        reclaimer.Released(LargeBufferReclaimer.Threshold - 1);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, collections);
    }
}
