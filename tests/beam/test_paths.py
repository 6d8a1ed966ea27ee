import os

from kstyle.beam import paths


def test_a_directory_means_every_image_under_it_at_its_relative_path(tmp_path):
    (tmp_path / "photos" / "2024").mkdir(parents=True)
    for given in (str(tmp_path / "photos"), str(tmp_path / "photos") + "/"):
        pattern = paths.Pattern(given)
        assert pattern.glob == str(tmp_path / "photos") + "/**" and pattern.everything
        assert pattern.relative(str(tmp_path / "photos" / "2024" / "a.jpg")) == "2024/a.jpg"
    remote = paths.Pattern("gs://bucket/photos/")
    assert (remote.glob, remote.base) == ("gs://bucket/photos/**", "gs://bucket/photos/")


def test_a_glob_is_relative_to_its_fixed_part_and_a_file_to_its_folder():
    glob = paths.Pattern("gs://bucket/photos/20*/day-?.jpg")
    assert glob.base == "gs://bucket/photos/" and glob.everything
    assert glob.relative("gs://bucket/photos/2024/day-1.jpg") == "2024/day-1.jpg"
    named = paths.Pattern("s3://bucket/photos/cat.JPG")
    assert (named.glob, named.base, named.everything) == ("s3://bucket/photos/cat.JPG", "s3://bucket/photos/", False)
    assert named.relative("s3://bucket/photos/cat.JPG") == "cat.JPG"


def test_a_glob_takes_images_only_and_a_named_file_always():
    glob = paths.Pattern("/data/**")
    assert glob.takes("/data/a/b.JPEG") and glob.takes("/data/c.webp") and glob.takes("/data/d.mpo")
    assert not glob.takes("/data/notes.txt") and not glob.takes("/data/.b.png.1a2b.partial")
    assert not glob.takes("/data/a/.hidden.png")
    assert paths.Pattern("/data/notes.txt").takes("/data/notes.txt")  # named: read, and failed if not an image


def test_targets_keep_the_relative_path_with_the_formats_extension():
    assert paths.target("gs://out/", "2024/a.jpeg", "png") == "gs://out/2024/a.png"
    assert paths.target("/out", "b.tar.png", "jpeg") == "/out/b.tar.jpg"
    assert paths.failures_file("gs://out/") == "gs://out/failures.txt"


def test_the_temporary_name_is_hidden_beside_the_target_and_not_an_input():
    temporary = paths.temporary("gs://out/2024/a.png", "1a2b")
    assert temporary == "gs://out/2024/.a.png.1a2b.partial"
    assert not paths.Pattern("gs://out/**").takes(temporary)
    assert os.path.dirname(paths.temporary("/out/a.png", "x")) == "/out"


def test_patterns_are_a_comma_separated_list():
    assert paths.split_patterns("a/*.jpg, gs://b/c/ ,,") == ["a/*.jpg", "gs://b/c/"]
    assert paths.split_patterns(["a", " b "]) == ["a", "b"]
