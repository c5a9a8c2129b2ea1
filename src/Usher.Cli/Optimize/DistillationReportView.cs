using System.Globalization;
using Usher.Cli.Admin;

namespace Usher.Cli.Optimize;

/// <summary>Prints a <see cref="DistillationRecord"/> for people.</summary>
internal static class DistillationReportView
{
    public static void Write(DistillationRecord record, TextWriter writer)
    {
        writer.WriteLine($"{record.Model}: version {record.TeacherVersion} (teacher) -> {record.Version} (student {record.Student}, {record.StudentParameters:N0} parameters)");
        writer.WriteLine($"  trained:   {record.TrainRows:N0} rows of {record.Data}, {record.HeldOutRows:N0} held out; T {F(record.Temperature, "0.##")}, seed {record.Seed}, epoch {record.BestEpoch} of {record.EpochsRun} kept ({record.EpochsRequested} at most)");
        var agreement = record.HeldOutAgreement is { } a ? F(a * 100, "0.00") + "%" : "-";
        writer.WriteLine($"  agreement: top-1 {agreement} with the teacher on the held-out rows");
        writer.WriteLine($"  scores:    '{record.ScoreError.Output}' mean abs error {F(record.ScoreError.MeanAbs, "G4")}, max {F(record.ScoreError.MaxAbs, "G4")}");
        writer.WriteLine($"  size:      {record.Bytes.Teacher:N0} -> {record.Bytes.Student:N0} bytes ({F(record.Bytes.Ratio, "0.000")}x)");
        writer.WriteLine();
        writer.WriteLine($"accuracy on {record.Report.Rows} rows ({record.Report.Inputs}):");
        var accuracy = new TextTable("output", "max abs err", "mean abs err", "relative L2", "top-1 agreement");
        foreach (var o in record.Report.Outputs)
        {
            accuracy.Add(o.Name, F(o.MaxAbsError, "G4"), F(o.MeanAbsError, "G4"), F(o.RelativeL2 * 100, "0.000") + "%", o.Top1Agreement is { } t ? F(t * 100, "0.00") + "%" : "-");
        }

        accuracy.WriteTo(writer, "  ");
        writer.WriteLine();
        var speed = record.Report.Speed;
        writer.WriteLine($"speed in process (one caller, {record.Report.IntraOpThreads} intra-op thread(s)):");
        var table = new TextTable("batch", "teacher rows/s", "p99 ms", "student rows/s", "p99 ms", "speed-up");
        foreach (var (teacher, student) in speed.Teacher.Zip(speed.Student))
        {
            table.Add(
                teacher.Batch.ToString(CultureInfo.InvariantCulture),
                F(teacher.RowsPerSecond, "N0"),
                F(teacher.P99Ms, "0.000"),
                F(student.RowsPerSecond, "N0"),
                F(student.P99Ms, "0.000"),
                F(student.RowsPerSecond / teacher.RowsPerSecond, "0.00") + "x");
        }

        table.WriteTo(writer, "  ");
        writer.WriteLine($"  best batch: teacher {speed.TeacherBestBatch}, student {speed.StudentBestBatch}; student {F(speed.Speedup, "0.00")}x the teacher's rows/s at their best");
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
