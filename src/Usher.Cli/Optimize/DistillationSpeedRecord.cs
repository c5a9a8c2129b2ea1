using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>Teacher's and student's speed at every batch size measured, and the student's speed-up at the best batch of each.</summary>
internal sealed record DistillationSpeedRecord(
    [property: JsonPropertyName("teacher")] IReadOnlyList<SpeedPointRecord> Teacher,
    [property: JsonPropertyName("student")] IReadOnlyList<SpeedPointRecord> Student,
    [property: JsonPropertyName("teacher_best_batch")] int TeacherBestBatch,
    [property: JsonPropertyName("student_best_batch")] int StudentBestBatch,
    [property: JsonPropertyName("speedup")] double Speedup);
