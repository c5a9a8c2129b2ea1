using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Parquet;
using Usher.Cli.Commands;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

/// <summary><c>usher batch</c> run in-process on the real fraud model (ONNX Runtime), files in a temporary folder.</summary>
public sealed class BatchCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _repository;

    public BatchCommandTests()
    {
        _repository = BatchFiles.Repository(_temp);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Csv_ScoresEveryRowInOrder_ProbabilitiesMatchAReferenceComputation()
    {
        var rows = BatchFiles.Features(300);
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), rows);

        var run = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("out.csv"), "--keep", "id", "--chunk-rows", "100");

        Assert.True(run.ExitCode == 0, run.Error);
        var lines = BatchFiles.ReadCsv(_temp.Combine("out.csv"));
        Assert.Equal(["id", "probabilities_0", "probabilities_1", "label"], lines[0]);
        Assert.Equal(301, lines.Length);
        for (var r = 0; r < rows.Length; r++)
        {
            var expected = BatchFiles.Expected(rows[r]);
            Assert.Equal(r.ToString(CultureInfo.InvariantCulture), lines[r + 1][0]);
            BatchFiles.AssertNear(expected[0], double.Parse(lines[r + 1][1], CultureInfo.InvariantCulture));
            BatchFiles.AssertNear(expected[1], double.Parse(lines[r + 1][2], CultureInfo.InvariantCulture));
            Assert.Equal(expected[1] > expected[0] ? "1" : "0", lines[r + 1][3]);
        }

        Assert.Contains("rows 300, errors 0", run.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.Combine("out.csv.usher-batch")), "the state folder outlived a finished run");
        Assert.False(File.Exists(_temp.Combine("out.errors.csv")), "an errors file was written without errors");
    }

    [Fact]
    public async Task BadRows_GoToTheErrorsFileWithRowAndReason_TheRestIsScored()
    {
        var rows = BatchFiles.Features(400);
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), rows, (r, i) => (r, i) switch
        {
            (17, 3) => "abc",
            (40, 5) => "NaN",
            (41, 0) => string.Empty,
            _ => null,
        });

        var run = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("out.csv"), "--keep", "id", "--errors", _temp.Combine("bad.csv"));

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(
            ["row,reason", "18,column 'features_3': not a number ('abc')", "41,column 'features_5': NaN is not allowed", "42,column 'features_0': missing value"],
            File.ReadAllLines(_temp.Combine("bad.csv")));
        var ids = BatchFiles.ReadCsv(_temp.Combine("out.csv")).Skip(1).Select(l => int.Parse(l[0], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(0, 400).Except([17, 40, 41]), ids);
    }

    [Fact]
    public async Task TooManyBadRows_StopsWithExit3AndASummary()
    {
        var rows = BatchFiles.Features(200);
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), rows, (r, i) => r % 10 == 0 && i == 2 ? "x" : null);

        var run = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("out.csv"), "--max-error-fraction", "0.05", "--chunk-rows", "50");

        Assert.Equal(ExitCodes.TooManyErrors, run.ExitCode);
        Assert.Contains("5 of 50 rows failed (10.00%), more than --max-error-fraction 0.05", run.Error, StringComparison.Ordinal);
        Assert.Contains("First: row 1: column 'features_2': not a number ('x')", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.Combine("out.csv")), "a stopped run wrote the output");
        Assert.Equal(6, File.ReadAllLines(_temp.Combine("out.errors.csv")).Length);
    }

    [Fact]
    public async Task Resume_AfterAStop_KeepsCommittedChunks_RefusesWhenTheInputOrSettingsChanged()
    {
        var rows = BatchFiles.Features(300);
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), rows, (r, i) => r == 120 && i == 0 ? "x" : null);
        string[] args = ["batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("out.csv"), "--chunk-rows", "100", "--max-error-fraction", "0.004"];

        var stopped = await RunAsync(args);
        var otherSettings = await RunAsync([.. args, "--resume", "--keep", "id"]);
        var lenient = await RunAsync([.. args[..^1], "0.01", "--resume"]);
        var stoppedAgain = await RunAsync(args);
        File.AppendAllText(_temp.Combine("in.csv"), "300," + string.Join(',', Enumerable.Repeat("0", 30)) + "\n");
        var changedInput = await RunAsync([.. args, "--resume"]);

        // 1 of 200 rows (0.5%) is over 0.4%: stopped after chunk 1, with chunks 0 and 1 committed.
        Assert.Equal(ExitCodes.TooManyErrors, stopped.ExitCode);
        Assert.Equal(ExitCodes.BadSettings, otherSettings.ExitCode);
        Assert.Contains("--resume: the earlier run used other settings", otherSettings.Error, StringComparison.Ordinal);
        Assert.True(lenient.ExitCode == 0, lenient.Error);
        Assert.Contains("resuming after 2 committed chunks (200 rows)", lenient.Error, StringComparison.Ordinal);
        Assert.Contains("rows 300, errors 1, ", lenient.Output, StringComparison.Ordinal);
        Assert.Contains("(100 rows this run, resumed)", lenient.Output, StringComparison.Ordinal);
        Assert.Equal(300, File.ReadAllLines(_temp.Combine("out.csv")).Length);
        Assert.Equal(ExitCodes.TooManyErrors, stoppedAgain.ExitCode);
        Assert.Equal(ExitCodes.BadSettings, changedInput.ExitCode);
        Assert.Contains("--resume: the earlier run read", changedInput.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MappingThatDoesNotFit_Exit2BeforeReadingARow_NamesTheExpectedColumns()
    {
        File.WriteAllText(_temp.Combine("in.csv"), "id,a,b\n1,2,3\n");

        var run = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("out.csv"), "--keep", "nope");

        Assert.Equal(ExitCodes.BadSettings, run.ExitCode);
        Assert.Contains("input 'features' FP32 [-1,30]: expected columns features_0 ... features_29, a list column 'features', or --columns features=C1,C2,...; the input has columns: id, a, b", run.Error, StringComparison.Ordinal);
        Assert.Contains("--keep nope: the input has no column 'nope'", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.Combine("out.csv.usher-batch")), "state was written for a job that could not start");
    }

    [Fact]
    public async Task MissingModelOrFile_Exit2NamingWhatWasExpected()
    {
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), BatchFiles.Features(2));

        var model = await RunAsync("batch", "nosuch", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("out.csv"));
        var file = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("missing.csv"), "-o", _temp.Combine("out.csv"));
        var format = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("out.xlsx"));

        Assert.Equal(ExitCodes.BadSettings, model.ExitCode);
        Assert.Contains("model 'nosuch' is not in the repository", model.Error, StringComparison.Ordinal);
        Assert.Contains("(models in", model.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadSettings, file.ExitCode);
        Assert.Contains("missing.csv does not exist", file.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadSettings, format.ExitCode);
        Assert.Contains("expected .csv (with a header), .jsonl or .parquet", format.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExplicitColumns_MapAnyColumnsToTheInput()
    {
        var rows = BatchFiles.Features(20);
        var header = "key," + string.Join(',', Enumerable.Range(0, 30).Select(i => $"f{29 - i}"));
        File.WriteAllLines(_temp.Combine("in.csv"), [header, .. rows.Select((r, n) => n + "," + string.Join(',', r.Reverse().Select(v => v.ToString(CultureInfo.InvariantCulture))))]);

        var run = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("out.jsonl"), "--version", "1",
            "--columns", "features=" + string.Join(',', Enumerable.Range(0, 30).Select(i => $"f{i}")));

        Assert.True(run.ExitCode == 0, run.Error);
        var lines = File.ReadAllLines(_temp.Combine("out.jsonl"));
        Assert.Equal(20, lines.Length);
        using var first = JsonDocument.Parse(lines[7]);
        var p = first.RootElement.GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        BatchFiles.AssertNear(BatchFiles.Expected(rows[7], version: 1)[1], p[1]);
    }

    [Fact]
    public async Task JsonlIn_ParquetOut_ListColumnAndScalarLabel_KeptIdsInOrder()
    {
        var rows = BatchFiles.Features(150);
        BatchFiles.WriteJsonl(_temp.Combine("in.jsonl"), rows);

        var run = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.jsonl"), "-o", _temp.Combine("out.parquet"), "--keep", "id", "--chunk-rows", "64");

        Assert.True(run.ExitCode == 0, run.Error);
        var (ids, probabilities, labels) = await ReadParquetAsync(_temp.Combine("out.parquet"));
        Assert.Equal(Enumerable.Range(0, 150).Select(i => $"r{i}"), ids);
        for (var r = 0; r < rows.Length; r++)
        {
            var expected = BatchFiles.Expected(rows[r]);
            BatchFiles.AssertNear(expected[1], probabilities[(2 * r) + 1]);
            Assert.Equal(expected[1] > expected[0] ? 1L : 0L, labels[r]);
        }
    }

    [Fact]
    public async Task ParquetOut_NarrowOutputsSnappyByDefault_CompressionPicksTheCodec_SameValues()
    {
        var rows = BatchFiles.Features(150);
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), rows);

        var automatic = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("auto.parquet"), "--keep", "id", "--chunk-rows", "64");
        var plain = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("plain.parquet"), "--keep", "id", "--chunk-rows", "64", "--compression", "none");
        var zstd = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("zstd.parquet"), "--keep", "id", "--chunk-rows", "64", "--compression", "zstd");
        var unknown = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("x.parquet"), "--compression", "rar");

        Assert.True(automatic.ExitCode == 0, automatic.Error);
        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.Equal([Parquet.Meta.CompressionCodec.SNAPPY], await CodecsAsync(_temp.Combine("auto.parquet")));
        Assert.True(zstd.ExitCode == 0, zstd.Error);
        Assert.Equal([Parquet.Meta.CompressionCodec.UNCOMPRESSED], await CodecsAsync(_temp.Combine("plain.parquet")));
        Assert.Equal([Parquet.Meta.CompressionCodec.ZSTD], await CodecsAsync(_temp.Combine("zstd.parquet")));
        var (plainIds, plainProbabilities, plainLabels) = await ReadParquetAsync(_temp.Combine("plain.parquet"));
        var (zstdIds, zstdProbabilities, zstdLabels) = await ReadParquetAsync(_temp.Combine("zstd.parquet"));
        Assert.Equal(plainIds, zstdIds);
        Assert.Equal(plainProbabilities, zstdProbabilities);
        Assert.Equal(plainLabels, zstdLabels);
        BatchFiles.AssertNear(BatchFiles.Expected(rows[149])[1], zstdProbabilities[(2 * 149) + 1]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--compression: expected one of none, snappy, zstd", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParquetListColumnIn_CsvOut_ReadsEveryRowGroup()
    {
        var rows = BatchFiles.Features(250);
        await BatchFiles.WriteParquetAsync(_temp.Combine("in.parquet"), rows, groupRows: 60);

        var run = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine("in.parquet"), "-o", _temp.Combine("out.csv"), "--keep", "id");

        Assert.True(run.ExitCode == 0, run.Error);
        var lines = BatchFiles.ReadCsv(_temp.Combine("out.csv"));
        Assert.Equal(251, lines.Length);
        Assert.Equal("249", lines[250][0]);
        BatchFiles.AssertNear(BatchFiles.Expected(rows[249])[0], double.Parse(lines[250][1], CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("parquet")]
    [InlineData("jsonl")]
    public async Task Shards_MergedInOrder_EqualTheWholeRunByteForByte(string extension)
    {
        var rows = BatchFiles.Features(500);
        await BatchFiles.WriteParquetAsync(_temp.Combine("in.parquet"), rows, groupRows: 50);
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), rows);
        var input = extension == "parquet" ? "in.parquet" : "in.csv";

        var whole = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine(input), "-o", _temp.Combine("whole." + extension), "--keep", "id", "--chunk-rows", "64");
        var parts = new List<string>();
        for (var shard = 0; shard < 3; shard++)
        {
            var part = _temp.Combine($"part-{shard}.{extension}");
            var run = await RunAsync("batch", "fraud", "-m", _repository, "-i", _temp.Combine(input), "-o", part, "--keep", "id", "--chunk-rows", "64", "--shard", $"{shard}/3");
            Assert.True(run.ExitCode == 0, run.Error);
            parts.Add(part);
        }

        var merge = await RunAsync(["batch", "merge", "--output", _temp.Combine("merged." + extension), .. parts]);

        Assert.True(whole.ExitCode == 0, whole.Error);
        Assert.True(merge.ExitCode == 0, merge.Error);
        if (extension == "parquet")
        {
            // Shards of 10 row groups: 3, 3 and 4 groups (rows 0-149, 150-299, 300-499).
            await using var first = await ParquetReader.CreateAsync(parts[0]);
            Assert.Equal(150, Enumerable.Range(0, first.RowGroupCount).Sum(g => first.OpenRowGroupReader(g).RowCount));
            var merged = await ReadParquetAsync(_temp.Combine("merged.parquet"));
            var expected = await ReadParquetAsync(_temp.Combine("whole.parquet"));
            Assert.Equal(expected.Ids, merged.Ids);
            Assert.Equal(expected.Probabilities, merged.Probabilities);
        }
        else
        {
            Assert.Equal(await File.ReadAllBytesAsync(_temp.Combine("whole." + extension)), await File.ReadAllBytesAsync(_temp.Combine("merged." + extension)));
        }
    }

    [Fact]
    public async Task Merge_ParquetShards_CopiesTheirRowGroupsBytesAsTheyAre()
    {
        // Parts written uncompressed: decoding and encoding them again would compress them (Snappy,
        // Parquet.Net's default), so equal bytes show that nothing was decoded.
        var id = new Parquet.Schema.DataField<long>("id");
        var score = new Parquet.Schema.DataField<float>("score");
        var schema = new Parquet.Schema.ParquetSchema(id, score);
        var parts = new List<string>();
        for (var part = 0; part < 3; part++)
        {
            var path = _temp.Combine($"part-{part}.parquet");
            await using (var stream = File.Create(path))
            await using (var writer = await ParquetWriter.CreateAsync(schema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.None }))
            {
                for (var group = 0; group < 2; group++)
                {
                    var first = (part * 200) + (group * 100);
                    using var rowGroup = writer.CreateRowGroup();
                    await rowGroup.WriteAsync<long>(id, Enumerable.Range(first, 100).Select(i => (long)i).ToArray());
                    await rowGroup.WriteAsync<float>(score, Enumerable.Range(first, 100).Select(i => i * 0.5f).ToArray());
                    rowGroup.CompleteValidate();
                }
            }

            parts.Add(path);
        }

        var merge = await RunAsync(["batch", "merge", "--output", _temp.Combine("merged.parquet"), .. parts]);

        Assert.True(merge.ExitCode == 0, merge.Error);
        Assert.Equal(parts.SelectMany(DataSection).ToArray(), DataSection(_temp.Combine("merged.parquet")));
        await using var reader = await ParquetReader.CreateAsync(_temp.Combine("merged.parquet"));
        Assert.Equal(6, reader.RowGroupCount);
        var ids = new List<long>();
        var scores = new List<float>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var idValues = new long[group.RowCount];
            var scoreValues = new float[group.RowCount];
            await group.ReadAsync<long>(id, idValues.AsMemory());
            await group.ReadAsync<float>(score, scoreValues.AsMemory());
            ids.AddRange(idValues);
            scores.AddRange(scoreValues);
        }

        Assert.Equal(Enumerable.Range(0, 600).Select(i => (long)i), ids);
        Assert.Equal(Enumerable.Range(0, 600).Select(i => i * 0.5f), scores);
    }

    // The codecs of every column chunk of every row group.
    private static async Task<List<Parquet.Meta.CompressionCodec>> CodecsAsync(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var codecs = new List<Parquet.Meta.CompressionCodec>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            codecs.AddRange(reader.Schema.GetDataFields().Select(f => group.GetMetadata(f)!.MetaData!.Codec));
        }

        return [.. codecs.Distinct()];
    }

    // A Parquet file is "PAR1", the row groups, the footer, its length (4 bytes) and "PAR1".
    private static byte[] DataSection(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var footer = BitConverter.ToInt32(bytes, bytes.Length - 8);
        return bytes[4..(bytes.Length - 8 - footer)];
    }

    private static async Task<(List<string> Ids, float[] Probabilities, long[] Labels)> ReadParquetAsync(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        var ids = new List<string>();
        var probabilities = new List<float>();
        var labels = new List<long>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var rows = (int)group.RowCount;
            if (fields[0].ClrType == typeof(long))
            {
                var id = new long?[rows];
                await group.ReadAsync<long>(fields[0], id.AsMemory());
                ids.AddRange(id.Select(i => i!.Value.ToString(CultureInfo.InvariantCulture)));
            }
            else
            {
                var id = new string?[rows];
                await group.ReadAsync(fields[0], id.AsMemory());
                ids.AddRange(id.Select(i => i!));
            }

            var p = new float[rows * 2];
            var definitions = new int[rows * 2];
            var repetitions = new int[rows * 2];
            await group.ReadRawAsync<float>(fields[1], p.AsMemory(), definitions.AsMemory(), repetitions.AsMemory());
            probabilities.AddRange(p);
            var label = new long[rows];
            await group.ReadAsync<long>(fields[2], label.AsMemory());
            labels.AddRange(label);
        }

        return (ids, [.. probabilities], [.. labels]);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var exit = await UsherRootCommand.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
