using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Usher.Backends.Onnx.Distillation;
using Usher.Backends.Onnx.Quantization;

namespace Usher.Cli.Optimize;

/// <summary>
/// Distills a teacher version into a small MLP student written as a new version of the same model:
/// reads the rows, runs the teacher on them in ONNX Runtime (its scores must be probabilities),
/// trains the student on the teacher's softened probabilities, writes it with the teacher's input and
/// output names and shapes, and measures both side by side on the held-out rows
/// (<see cref="ModelComparison"/>). The directory is assembled aside and moved into place.
/// </summary>
internal static class DistillJob
{
    /// <summary>The report's file name beside <c>model.onnx</c>.</summary>
    public const string ReportFileName = "distillation.json";

    private const string ModelFileName = "model.onnx";
    private const int RowsPerComparisonRun = 256;

    /// <summary>
    /// Distills and measures; per-epoch progress goes to <paramref name="progress"/>. The version is
    /// written only when <paramref name="accept"/> (given the record) says so.
    /// </summary>
    public static async Task<DistillResult> RunAsync(DistillSettings settings, Func<DistillationRecord, bool> accept, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(accept);
        ArgumentNullException.ThrowIfNull(progress);
        var problems = new List<string>();
        var modelDirectory = Path.Combine(settings.Repository, settings.Model);
        if (!Directory.Exists(modelDirectory))
        {
            return Refused($"--teacher {settings.Model}:{Number(settings.TeacherVersion)}: model '{settings.Model}' not found in {settings.Repository}");
        }

        var versions = QuantizeJob.Versions(modelDirectory);
        var teacherPath = Path.Combine(modelDirectory, Number(settings.TeacherVersion), ModelFileName);
        if (!File.Exists(teacherPath))
        {
            return Refused($"--teacher {settings.Model}:{Number(settings.TeacherVersion)}: '{settings.Model}' has no {Number(settings.TeacherVersion)}/{ModelFileName} (versions: {(versions.Count == 0 ? "none" : string.Join(", ", versions))})");
        }

        var target = settings.ToVersion ?? (versions.Count == 0 ? 1 : versions.Max() + 1);
        var targetDirectory = Path.Combine(modelDirectory, Number(target));
        if (Directory.Exists(targetDirectory))
        {
            return Refused($"--to-version {target}: {targetDirectory} exists; pick a free version number or leave --to-version out (the next free one)");
        }

        using var options = new SessionOptions { IntraOpNumThreads = settings.Comparison.IntraOpThreads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        InferenceSession teacher;
        try
        {
            teacher = new InferenceSession(teacherPath, options);
        }
        catch (OnnxRuntimeException ex)
        {
            return Refused($"--teacher {settings.Model}:{Number(settings.TeacherVersion)}: {teacherPath} does not load in ONNX Runtime: {ex.Message}");
        }

        float[] probabilities;
        TeacherSignature signature;
        TrainingRows rows;
        using (teacher)
        {
            var read = TeacherSignature.Read(teacher, out var problem);
            if (read is null)
            {
                return Refused($"--teacher {settings.Model}:{Number(settings.TeacherVersion)}: {problem}");
            }

            signature = read;
            var data = await settings.Rows.ReadAsync(signature, problems, cancellationToken).ConfigureAwait(false);
            if (data is null)
            {
                return new DistillResult(null, false, problems);
            }

            rows = data;
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"teacher {settings.Model}:{settings.TeacherVersion} scoring {rows.Rows:N0} rows of {settings.Rows.Description} ...")).ConfigureAwait(false);
            var scores = TeacherScores.Score(teacher, signature, rows.Features, rows.Rows, out problem);
            if (scores is null)
            {
                return Refused($"--teacher {settings.Model}:{Number(settings.TeacherVersion)}: {problem}");
            }

            probabilities = scores;
        }

        var training = settings.Training;
        var sizes = settings.Student.Sizes(signature.Features, signature.Classes);
        var student = StudentTrainer.Train(sizes, rows.Features, probabilities, rows.Rows, training, e => progress.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"epoch {e.Epoch,3}/{training.Epochs}  loss {e.Loss:0.00000}  held-out loss {e.HeldOutLoss:0.00000}  held-out agreement {e.HeldOutAgreement * 100:0.00}%")));
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"kept epoch {student.BestEpoch} of {student.Epochs.Count} (held-out agreement {student.Best.HeldOutAgreement * 100:0.00}%); measuring teacher and student ...")).ConfigureAwait(false);

        var staging = Path.Combine(modelDirectory, $".{Number(target)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            var stagedModel = Path.Combine(staging, ModelFileName);
            await File.WriteAllBytesAsync(stagedModel, StudentGraph.Build(student.Network, signature, settings.Model), cancellationToken).ConfigureAwait(false);
            var heldOut = HeldOutBatches(signature, rows, student.HeldOut);
            if (!ModelComparison.TryCompare(teacherPath, stagedModel, settings.Comparison with { Candidate = "the student model" }, heldOut, null, out var report, out var problem))
            {
                return Refused($"comparing teacher and student: {problem}");
            }

            var record = ToRecord(settings, target, signature, student, rows.Rows, new FileInfo(teacherPath).Length, new FileInfo(stagedModel).Length, report!);
            var written = false;
            if (accept(record))
            {
                await File.WriteAllTextAsync(Path.Combine(staging, ReportFileName), JsonSerializer.Serialize(record, DistillationJsonContext.Default.DistillationRecord), cancellationToken).ConfigureAwait(false);
                Directory.Move(staging, targetDirectory);
                written = true;
            }

            return new DistillResult(record, written, []);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static DistillResult Refused(string problem) => new(null, false, [problem]);

    private static List<InputBatch> HeldOutBatches(TeacherSignature signature, TrainingRows rows, IReadOnlyList<int> heldOut)
    {
        var batches = new List<InputBatch>();
        var width = signature.Features;
        for (var start = 0; start < heldOut.Count; start += RowsPerComparisonRun)
        {
            var n = Math.Min(RowsPerComparisonRun, heldOut.Count - start);
            var values = new float[n * width];
            for (var i = 0; i < n; i++)
            {
                rows.Features.AsSpan(heldOut[start + i] * width, width).CopyTo(values.AsSpan(i * width, width));
            }

            batches.Add(new InputBatch([NamedOnnxValue.CreateFromTensor(signature.Input, new DenseTensor<float>(values, [n, width]))], n));
        }

        return batches;
    }

    private static DistillationRecord ToRecord(DistillSettings settings, long target, TeacherSignature signature, TrainedStudent student, int rows, long teacherBytes, long studentBytes, ComparisonReport report)
    {
        static SpeedPointRecord Point(SpeedPoint p) => new(p.Batch, Math.Round(p.RowsPerSecond, 1), Math.Round(p.P50Ms, 4), Math.Round(p.P99Ms, 4), p.Runs);
        var probabilities = report.Outputs.First(o => o.Output == signature.Probabilities);
        var teacherBest = ComparisonReport.Best(report.Original);
        var studentBest = ComparisonReport.Best(report.Quantized);
        return new DistillationRecord(
            settings.Model,
            settings.TeacherVersion,
            target,
            settings.Student.ToString(),
            student.Network.Parameters.Length,
            settings.Training.Seed,
            settings.Training.Temperature,
            settings.Training.Epochs,
            student.Epochs.Count,
            student.BestEpoch,
            settings.Rows.Description,
            rows - student.HeldOut.Count,
            student.HeldOut.Count,
            probabilities.Top1Agreement,
            new ScoreErrorRecord(signature.Probabilities, probabilities.MeanAbsError, probabilities.MaxAbsError),
            new DistillationSizeRecord(teacherBytes, studentBytes, Math.Round((double)studentBytes / teacherBytes, 4)),
            new DistillationReportRecord(
                $"held-out rows of {settings.Rows.Description}",
                report.Rows,
                settings.Comparison.IntraOpThreads,
                report.Top1Agreement,
                [.. report.Outputs.Select(o => new OutputRecord(o.Output, o.MaxAbsError, o.MeanAbsError, o.RelativeL2, o.Top1Agreement))],
                new DistillationSpeedRecord(
                    [.. report.Original.Select(Point)],
                    [.. report.Quantized.Select(Point)],
                    teacherBest.Batch,
                    studentBest.Batch,
                    Math.Round(studentBest.RowsPerSecond / teacherBest.RowsPerSecond, 2))),
            [.. student.Epochs.Select(e => new EpochRecord(e.Epoch, Math.Round(e.Loss, 6), Math.Round(e.HeldOutLoss, 6), Math.Round(e.HeldOutAgreement, 6)))]);
    }

    private static string Number(long version) => version.ToString(CultureInfo.InvariantCulture);
}
