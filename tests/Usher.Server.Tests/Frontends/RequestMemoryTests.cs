using Usher.Core.Inference;
using Usher.Core.Scheduling;
using Usher.Core.Tensors;
using Usher.Server.Frontends;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends;

/// <summary>Decoding takes memory only after reserving it against the server's bound, and gives it back.</summary>
public sealed class RequestMemoryTests
{
    [Fact]
    public void Reserve_PastTheSharedBound_IsResourceExhausted_UntilTheOtherRequestIsDone()
    {
        var budget = new MemoryBudget(1000);
        var first = new RequestMemory(budget, long.MaxValue);
        Assert.Null(first.Reserve(600, "the request body"));

        using var second = new RequestMemory(budget, long.MaxValue);
        var refused = second.Reserve(600, "the request body");
        Assert.Equal(InferenceErrorKind.ResourceExhausted, refused!.Kind);
        Assert.Contains("scheduling.max_in_flight_bytes = 1000", refused.Message, StringComparison.Ordinal);
        Assert.Equal(600, budget.Used);

        first.Dispose();
        Assert.Equal(0, budget.Used);
        Assert.Null(second.Reserve(600, "the request body"));
        Assert.Equal(600, budget.Used);
    }

    [Fact]
    public void Reserve_MoreThanTheWholeBound_IsRefusedEvenWhenIdle()
    {
        var budget = new MemoryBudget(1000);
        using var memory = new RequestMemory(budget, long.MaxValue);
        Assert.Null(memory.Reserve(900, "the request body"));
        var refused = memory.Reserve(200, "parsing the JSON");
        Assert.Contains("parsing the JSON needs 1100 bytes", refused!.Message, StringComparison.Ordinal);
        Assert.Equal(900, budget.Used);
    }

    [Fact]
    public void ReserveTensor_OverMaxTensorBytes_IsInvalidArgument_AndReservesNothing()
    {
        var budget = new MemoryBudget(1 << 20);
        using var memory = new RequestMemory(budget, 1000);
        var refused = memory.ReserveTensor("x", DataType.Fp32, [251], 1004, 1004);
        Assert.Equal(InferenceErrorKind.InvalidArgument, refused!.Kind);
        Assert.Equal(0, budget.Used);
        Assert.Null(memory.ReserveTensor("x", DataType.Fp32, [250], 1000, 1000));
        Assert.Equal(1000, budget.Used);
    }

    [Theory]
    [InlineData(DataType.Fp32, 10, 0, 40)]
    [InlineData(DataType.Int64, 3, 0, 24)]
    [InlineData(DataType.Bytes, 12_000_000, 12_000_000, (12_000_000 * 32L) + 12_000_000)]
    [InlineData(DataType.Bytes, long.MaxValue, 1, long.MaxValue)]
    [InlineData(DataType.Fp64, long.MaxValue / 4, 0, long.MaxValue)]
    public void DecodedBytes_CountsElementsAndSaturates(DataType type, long count, long payload, long expected)
        => Assert.Equal(expected, RequestLimits.DecodedBytes(type, count, payload));

    [Fact]
    public async Task ReadBody_ReservesAsItGrows_AndRefusesWhenTheBoundIsFull()
    {
        // 3 MB of unknown length (as a decompressing stream reads): the buffer doubles from 16 KB.
        var budget = new MemoryBudget(4 * 1024 * 1024);
        using (var memory = new RequestMemory(budget, long.MaxValue))
        {
            var read = await RequestBody.ReadAsync(new MemoryStream(new byte[3_000_000]), null, 64 * 1024 * 1024, poolable: true, memory, default);
            Assert.Equal(InferenceErrorKind.ResourceExhausted, read.Error!.Kind);
        }

        Assert.Equal(0, budget.Used);
        using (var memory = new RequestMemory(new MemoryBudget(64 * 1024 * 1024), long.MaxValue))
        {
            var read = await RequestBody.ReadAsync(new MemoryStream(new byte[3_000_000]), null, 64 * 1024 * 1024, poolable: true, memory, default);
            using var body = read.Value!;
            Assert.Equal(3_000_000, body.Length);

            // Every buffer it took on the way (16 KB doubling to 4 MB) was reserved first.
            Assert.True(memory.Reserved >= 4 * 1024 * 1024, $"{memory.Reserved}");
        }
    }

    [Fact]
    public async Task ReadBody_PastTheLimit_Is413_CountedAfterDecompression()
    {
        using var memory = RequestMemory.Unbounded(long.MaxValue);
        var read = await RequestBody.ReadAsync(new MemoryStream(new byte[10_001]), null, 10_000, poolable: true, memory, default);
        Assert.Equal(413, read.Error!.Status);
        Assert.Contains("server.max_request_body_bytes", read.Error.Message, StringComparison.Ordinal);
    }
}
