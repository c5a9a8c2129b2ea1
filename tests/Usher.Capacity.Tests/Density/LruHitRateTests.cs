using Usher.Capacity.Density;

namespace Usher.Capacity.Tests.Density;

public sealed class LruHitRateTests
{
    [Fact]
    public void Uniform_HitRateIsSlotsOverItems()
    {
        // Under uniform independent requests an LRU of k of N items hits k / N, exactly.
        Assert.Equal(0.25, LruHitRate.Che(Enumerable.Repeat(1.0, 400).ToList(), 100), 6);
    }

    [Fact]
    public void Zipf_MatchesASimulatedLruCache()
    {
        // An independent check: replay 400,000 seeded Zipf requests through a real LRU of 50 of 1,000 items.
        var popularity = LruHitRate.Zipf(1000, 1.0);
        var cumulative = new double[popularity.Length];
        var sum = 0.0;
        for (var i = 0; i < popularity.Length; i++)
        {
            sum += popularity[i];
            cumulative[i] = sum;
        }

        var random = new Random(7);
        var order = new LinkedList<int>();
        var nodes = new Dictionary<int, LinkedListNode<int>>();
        long hits = 0;
        const int Requests = 400_000;
        for (var r = 0; r < Requests; r++)
        {
            var item = Array.BinarySearch(cumulative, random.NextDouble() * sum);
            item = item < 0 ? ~item : item;
            if (nodes.TryGetValue(item, out var node))
            {
                hits++;
                order.Remove(node);
                order.AddFirst(node);
                continue;
            }

            nodes[item] = order.AddFirst(item);
            if (order.Count > 50)
            {
                nodes.Remove(order.Last!.Value);
                order.RemoveLast();
            }
        }

        Assert.Equal((double)hits / Requests, LruHitRate.Che(popularity, 50), 2);
    }

    [Fact]
    public void EnoughSlots_AlwaysHit()
    {
        Assert.Equal(1, LruHitRate.Che(LruHitRate.Zipf(10, 1), 10));
        Assert.Equal(0, LruHitRate.Che(LruHitRate.Zipf(10, 1), 0));
    }
}
