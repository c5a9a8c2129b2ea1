using Usher.Cli.Batch;
using Usher.Core.Tensors;

namespace Usher.Cli.Tests.Batch;

public sealed class ChunkRowsTests
{
    [Fact]
    public void AutoChunkRows_ForAModelWhoseOutputIsWiderThanItsInput_SizesTheChunkByItsOutputValues()
    {
        // 4 values in, 4,096 out per row: a chunk (one row group of a Parquet output) sized by the input
        // alone would be 65,536 rows, 268 million output values (1 GiB of FP32) in one row group.
        var model = new BatchModel(
            "wide-out", 1, MaxBatchSize: 8,
            [new BatchTensor("x", DataType.Fp32, [-1, 4], 4)],
            [new BatchTensor("y", DataType.Fp32, [-1, 4096], 4096)],
            InFlight: 2);

        var rows = BatchJob.AutoChunkRows(model);

        // 2^20 values / 4,096 per row = 256 rows, a whole number of batches of 8.
        Assert.Equal(256, rows);
    }

    [Fact]
    public void AutoChunkRows_ForAModelWhoseInputIsWider_SizesTheChunkByItsInputValues()
    {
        // fraud's shape: 30 in, 2 + 1 out. 2^20 / 30 = 34,952 rows, down to whole batches of 64: 546 x 64.
        var model = new BatchModel(
            "fraud", 1, MaxBatchSize: 64,
            [new BatchTensor("features", DataType.Fp32, [-1, 30], 30)],
            [new BatchTensor("probabilities", DataType.Fp32, [-1, 2], 2), new BatchTensor("label", DataType.Int64, [-1], 1)],
            InFlight: 2);

        Assert.Equal(546 * 64, BatchJob.AutoChunkRows(model));
    }
}
