using Usher.Cli.Batch;
using Usher.Core.Models;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

public sealed class ParquetRowSourceTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task CheckRowGroups_AGroupOverTheBound_IsRefusedNamingItsSize()
    {
        // Row groups of 100, 100 and 50 rows: 100 rows need 100 x 30 FP32 features and 100 INT64
        // ids, each value with its two 4-byte levels: 100 * 30 * (4 + 8) + 100 * (8 + 8) bytes.
        await BatchFiles.WriteParquetAsync(_temp.Combine("in.parquet"), BatchFiles.Features(250), groupRows: 100);
        const long LargestGroup = (100 * 30 * 12) + (100 * 16);
        await using var source = await ParquetRowSource.OpenAsync(_temp.Combine("in.parquet"), CancellationToken.None);
        var mapping = Mapping(source);

        var within = source.CheckRowGroups(mapping, LargestGroup);
        var over = source.CheckRowGroups(mapping, LargestGroup - 1);

        Assert.Null(within);
        Assert.NotNull(over);
        Assert.StartsWith("--input: row group 0 of ", over);
        Assert.Contains("(100 rows)", over);
        Assert.Contains("rewrite the file with smaller row groups", over);
    }

    private static ColumnMapping Mapping(ParquetRowSource source)
    {
        var problems = new List<string>();
        var model = BatchModel.From(
            "fraud", 1, 64,
            [new TensorSpec("features", DataType.Fp32, [-1, BatchFiles.Width])],
            [new TensorSpec("probabilities", DataType.Fp32, [-1, 2])],
            1,
            problems);
        var mapping = ColumnMapping.Resolve(model!, source.Columns, new Dictionary<string, IReadOnlyList<string>>(), ["id"], problems);
        Assert.Empty(problems);
        return mapping!;
    }
}
