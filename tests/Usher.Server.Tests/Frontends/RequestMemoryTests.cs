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
    public void DecodedBytes_CountsElementsAndSaturates(object type, long count, long payload, long expected)
        => Assert.Equal(expected, RequestLimits.DecodedBytes((DataType)type, count, payload)); // object: DataType is internal

    [Fact]
    public async Task ReadBody_ReservesAsItGrows_AndRefusesWhenTheBoundIsFull()
    {
        // 3 MB of unknown length (as a decompressing stream reads): 64 KB chunks, then one copy of 3 MB.
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

            // Every buffer it took on the way (3 MB of chunks and the 3 MB copy) was reserved first.
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

    /// <summary>
    /// Regression (issue 11 point 4): decoding a body consistent with its shape reserves the tensor and
    /// nothing for a parse tree. The document the reader used to build needed 24 bytes per token
    /// reserved (12 B rows, doubled), which a bound of twice the tensor refused with 503.
    /// </summary>
    [Fact]
    public void ReadJson_ConsistentWithItsShape_ReservesTheTensorAndNoParseTree()
    {
        const int Elements = 200_000;
        var json = System.Text.Encoding.UTF8.GetBytes(
            "{\"inputs\":[{\"name\":\"x\",\"shape\":[1," + Elements + "],\"datatype\":\"FP32\",\"data\":[" + string.Join(",", Enumerable.Repeat("0.5", Elements)) + "]}]}");
        var budget = new MemoryBudget(2L * Elements * sizeof(float));
        using var memory = new RequestMemory(budget, long.MaxValue);
        var read = JsonInferenceRequestReader.Read(json, "m", null, memory);
        Assert.True(read.IsSuccess, read.Error?.Message);
        Assert.Equal(Elements * sizeof(float), memory.Reserved);
        Assert.Equal(0.5f, read.Value.Inputs[0].AsSpan<float>()[Elements - 1]);
    }

    /// <summary>
    /// Regression (issue 11 point 4): a gzip bomb is refused having read at most the limit, in pooled
    /// chunks; the doubling buffer it replaced reserved (and held) about twice the limit, in arrays of
    /// up to the limit's size.
    /// </summary>
    [Fact]
    public async Task ReadBody_GzipBomb_IsRefusedHoldingAtMostTheLimitInChunks()
    {
        const long Limit = 8 * 1024 * 1024;
        var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 64; i++)
            {
                gzip.Write(zeros);
            }
        }

        compressed.Position = 0;
        using var memory = new RequestMemory(new MemoryBudget(long.MaxValue), long.MaxValue);
        using var inflating = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionMode.Decompress);
        var read = await RequestBody.ReadAsync(inflating, null, Limit, poolable: true, memory, default);
        Assert.Equal(413, read.Error!.Status);
        Assert.True(memory.Reserved <= Limit + (2 * RequestBody.ChunkBytes), $"reserved {memory.Reserved} for a limit of {Limit}");
    }
}
