"""`kstyletest://`: a Beam file system by scheme, as gs:// and s3:// are, kept in a local directory.

It behaves like an object store: no directories (a pattern lists by prefix), a
rename is a copy over the target, an object appears whole. Registered by being
imported (Beam finds file systems among `FileSystem`'s subclasses), in this
process only: a multi-process DirectRunner's workers do not know it.
"""

import os
import shutil

from apache_beam.io.filesystem import CompressedFile, CompressionTypes, FileMetadata, FileSystem

SCHEME = "kstyletest"
PREFIX = f"{SCHEME}://"


class ObjectStore(FileSystem):
    root = None  # the local directory holding the objects; set by the test

    @classmethod
    def scheme(cls):
        return SCHEME

    def _local(self, path):
        return os.path.join(self.root, path[len(PREFIX):])

    def join(self, basepath, *paths):
        return "/".join([basepath.rstrip("/"), *(path.strip("/") for path in paths)])

    def split(self, path):
        head, _, tail = path.rpartition("/")
        return head, tail

    def mkdirs(self, path):
        pass

    def has_dirs(self):
        return False

    def _list(self, dir_or_prefix):
        for directory, _, files in os.walk(self.root):
            for name in files:
                path = PREFIX + os.path.relpath(os.path.join(directory, name), self.root)
                if path.startswith(dir_or_prefix):
                    yield self.metadata(path)

    def create(self, path, mime_type="application/octet-stream", compression_type=CompressionTypes.AUTO):
        os.makedirs(os.path.dirname(self._local(path)), exist_ok=True)
        return self._wrapped(open(self._local(path), "wb"), path, compression_type)

    def open(self, path, mime_type="application/octet-stream", compression_type=CompressionTypes.AUTO):
        return self._wrapped(open(self._local(path), "rb"), path, compression_type)

    def _wrapped(self, file, path, compression_type):
        compression_type = FileSystem._get_compression_type(path, compression_type)
        return file if compression_type == CompressionTypes.UNCOMPRESSED else CompressedFile(file, compression_type)

    def copy(self, source_file_names, destination_file_names):
        for source, destination in zip(source_file_names, destination_file_names):
            os.makedirs(os.path.dirname(self._local(destination)), exist_ok=True)
            shutil.copyfile(self._local(source), self._local(destination))

    def rename(self, source_file_names, destination_file_names):
        self.copy(source_file_names, destination_file_names)
        self.delete(source_file_names)

    def exists(self, path):
        return os.path.isfile(self._local(path))

    def size(self, path):
        return os.path.getsize(self._local(path))

    def last_updated(self, path):
        return os.path.getmtime(self._local(path))

    def checksum(self, path):
        return str(self.size(path))

    def metadata(self, path):
        return FileMetadata(path, self.size(path), self.last_updated(path))

    def delete(self, paths):
        for path in paths:
            os.remove(self._local(path))
