using Parquet;
using Usher.Cli.Batch;
using Usher.Core.Tensors;

namespace Usher.Cli.Tests.Batch;

public sealed class ParquetDefaultCompressionTests
{
    [Fact]
    public void WideFloatOutput_IsUncompressed_NarrowOrMixedOutputsAreSnappy()
    {
        var mlpLarge = new OutputLayout([], [new BatchTensor("output", DataType.Fp32, [-1, 1024], 1024)]);
        var fraud = new OutputLayout(
            [new SourceColumn("id", IsList: false, typeof(string))],
            [new BatchTensor("probabilities", DataType.Fp32, [-1, 2], 2), new BatchTensor("label", DataType.Int64, [-1], 1)]);
        var justUnder = new OutputLayout([], [new BatchTensor("e", DataType.Fp64, [-1, 63], 63)]);
        // 64 floats beside 64 integers: half the row's values are floats, not nine tenths.
        var mixed = new OutputLayout([], [new BatchTensor("e", DataType.Fp32, [-1, 64], 64), new BatchTensor("ids", DataType.Int64, [-1, 64], 64)]);
        var withIds = new OutputLayout([new SourceColumn("id", IsList: false, typeof(long))], [new BatchTensor("e", DataType.Fp32, [-1, 64], 64)]);

        Assert.Equal(CompressionMethod.None, ParquetFiles.DefaultCompression(mlpLarge));
        Assert.Equal(CompressionMethod.Snappy, ParquetFiles.DefaultCompression(fraud));
        Assert.Equal(CompressionMethod.Snappy, ParquetFiles.DefaultCompression(justUnder));
        Assert.Equal(CompressionMethod.Snappy, ParquetFiles.DefaultCompression(mixed));
        Assert.Equal(CompressionMethod.None, ParquetFiles.DefaultCompression(withIds));
    }
}
