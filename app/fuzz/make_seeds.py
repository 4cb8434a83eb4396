#!/usr/bin/env python3
"""Writes the fuzz seed corpus (seeds/<target>/) from app/tests/fixtures.

Stdlib only. Every seed stays under 100 KB: large fixtures are cut (G-code:
head + tail; binary G-code: the blocks up to the first G-code block) or
rebuilt small. Run from anywhere: python3 app/fuzz/make_seeds.py
"""
import io
import json
import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "tests", "fixtures")
SEEDS = os.path.join(HERE, "seeds")
LIMIT = 100 * 1024


def fixture(rel):
    with open(os.path.join(FIX, rel), "rb") as f:
        return f.read()


def write(target, name, data):
    assert len(data) < LIMIT, (target, name, len(data))
    os.makedirs(os.path.join(SEEDS, target), exist_ok=True)
    with open(os.path.join(SEEDS, target, name), "wb") as f:
        f.write(data)


def head_tail(data, head, tail):
    """First `head` and last `tail` bytes, each cut at a line boundary."""
    h = data[:head]
    h = h[: h.rfind(b"\n") + 1]
    t = data[-tail:]
    t = t[t.find(b"\n") + 1 :]
    return h + t


# --- stl / obj: the small fixtures as they are -----------------------------
for name in ["cube_20mm_binary.stl", "cube_20mm_ascii.stl", "cube_20mm_binary_solid_header.stl",
             "two_bodies_binary.stl", "two_bodies_ascii.stl"]:
    write("stl", name, fixture("mesh/" + name))
# ASCII quirks: CRLF, upper case, a quad (fan-triangulated), two solids.
write("stl", "quirks_ascii.stl", (
    "SOLID a\r\n FACET NORMAL 0 0 1\r\n  OUTER LOOP\r\n   VERTEX 0 0 0\r\n   VERTEX 1 0 0\r\n"
    "   VERTEX 1 1 0\r\n   VERTEX 0 1 0\r\n  ENDLOOP\r\n ENDFACET\r\nENDSOLID a\r\n"
    "solid b\nfacet normal 0 0 0\nouter loop\nvertex 0 0 1e-3\nvertex 2.5e1 0 1\nvertex 0 -3 1\n"
    "endloop\nendfacet\nendsolid b\n").encode())
for name in ["cube_20mm.obj", "two_bodies.obj"]:
    write("obj", name, fixture("mesh/" + name))
write("obj", "quirks.obj", b"# quad, negative and slash indices\nv 0 0 0\nv 1 0 0 1\nv 1 1 0 0.5 0.5 0.5\n"
      b"v 0 1 0\nvt 0 0\nvn 0 0 1\no quad\nf 1/1/1 2/1/1 3/1/1 4/1/1\nf -4//1 -3//1 -2//1\nf 1 3 4 2\n")

# --- threemf: whole packages, and split parts (see fuzz_targets/threemf.rs) -
for rel in ["mesh/cube_20mm.3mf", "mesh/two_bodies.3mf", "3mf/cube_20mm_prusa_project.3mf"]:
    write("threemf", os.path.basename(rel), fixture(rel))
PARTS = ["[Content_Types].xml", "_rels/.rels", "3D/3dmodel.model", "3D/Objects/object_1.model",
         "3D/_rels/3dmodel.model.rels", "Metadata/Slic3r_PE.config", "Metadata/Slic3r_PE_model.config",
         "Metadata/project_settings.config", "Metadata/model_settings.config", "Metadata/slice_info.config",
         "Metadata/plate_1.gcode", "Metadata/thumbnail.png", "Metadata/plate_1.png"]
SEP = b"\x00PART\x00"


def split(parts):
    return SEP.join(parts.get(name, b"") for name in PARTS)


def unzip(rel):
    with zipfile.ZipFile(os.path.join(FIX, rel)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


write("threemf", "parts_prusa_project.bin", split(unzip("3mf/cube_20mm_prusa_project.3mf")))
write("threemf", "parts_openscad_cube.bin", split(unzip("mesh/cube_20mm.3mf")))
NS = 'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02" ' \
     'xmlns:p="http://schemas.microsoft.com/3dmanufacturing/production/2015/06"'
root = (f'<?xml version="1.0" encoding="UTF-8"?>\n<model unit="inch" {NS}>'
        '<metadata name="Application">BambuStudio-01.09.00.70</metadata><resources>'
        '<object id="2" type="model"><components>'
        '<component p:path="/3D/Objects/object_1.model" objectid="1" transform="1 0 0 0 1 0 0 0 1 5 5 0"/>'
        '<component p:path="/3D/Objects/object_1.model" objectid="1" transform="0 1 0 -1 0 0 0 0 2 0 0 1"/>'
        '</components></object></resources><build>'
        '<item objectid="2" transform="1 0 0 0 1 0 0 0 1 10 10 0" printable="1" partnumber="x"/>'
        '<item objectid="2" printable="0"/></build></model>').encode()
obj = (f'<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" {NS}><resources>'
       '<object id="1" type="model" name="tetra"><mesh><vertices>'
       '<vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="0" y="1" z="0"/><vertex x="0" y="0" z="1"/>'
       '</vertices><triangles><triangle v1="0" v2="2" v3="1"/><triangle v1="0" v2="1" v3="3"/>'
       '<triangle v1="1" v2="2" v3="3"/><triangle v1="0" v2="3" v3="2"/></triangles></mesh></object>'
       '</resources><build/></model>').encode()
rels = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
        b'<Relationship Target="Metadata/plate_1.png" Id="rel1" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"/>'
        b'</Relationships>')
settings = json.dumps({"layer_height": "0.2", "nozzle_diameter": ["0.4"], "filament_type": ["PLA", "PETG"],
                       "filament_colour": ["#00AE42", "#FFFFFF"], "nozzle_temperature": ["220", "230"],
                       "sparse_infill_density": "15%", "printer_model": "Bambu Lab X1 Carbon",
                       "curr_bed_type": "Textured PEI Plate", "wall_loops": "2"}).encode()
model_settings = (b'<?xml version="1.0" encoding="UTF-8"?>\n<config><object id="2"><metadata key="name" value="Benchy"/>'
                  b'<part id="1" subtype="normal_part"><metadata key="name" value="hull"/></part></object>'
                  b'<plate><metadata key="plater_id" value="1"/><metadata key="gcode_file" value="Metadata/plate_1.gcode"/>'
                  b'<model_instance><metadata key="object_id" value="2"/></model_instance></plate></config>')
slice_info = (b'<?xml version="1.0" encoding="UTF-8"?>\n<config><header>'
              b'<header_item key="X-BBL-Client-Version" value="01.09.00.70"/></header><plate>'
              b'<metadata key="index" value="1"/><metadata key="prediction" value="3075"/>'
              b'<metadata key="weight" value="10.53"/><object identify_id="188" name="Benchy" skipped="false"/>'
              b'<filament id="1" type="PLA" color="#00AE42" used_m="3.47" used_g="10.53"/></plate></config>')
plate_gcode = (b"; HEADER_BLOCK_START\n; BambuStudio 01.09.00.70\n; model printing time: 50m 0s; total estimated time: 51m 15s\n"
               b"; total layer number: 240\n; HEADER_BLOCK_END\n\n; CONFIG_BLOCK_START\n; layer_height = 0.2\n"
               b"; CONFIG_BLOCK_END\n\nG28\nM104 S220\n;LAYER_CHANGE\nG1 X1\n")
thumb = unzip("3mf/cube_20mm_prusa_project.3mf")["Metadata/thumbnail.png"]
write("threemf", "parts_bambu_components.bin", split({
    "[Content_Types].xml": b"<Types/>", "_rels/.rels": rels, "3D/3dmodel.model": root,
    "3D/Objects/object_1.model": obj, "Metadata/project_settings.config": settings,
    "Metadata/model_settings.config": model_settings, "Metadata/slice_info.config": slice_info,
    "Metadata/plate_1.gcode": plate_gcode, "Metadata/plate_1.png": thumb}))

# --- gcode_metadata: head + tail of each slicer's output --------------------
write("gcode_metadata", "prusa_png_head_tail.gcode", head_tail(fixture("gcode/cube_20mm_prusa_png.gcode"), 24_000, 24_000))
write("gcode_metadata", "prusa_jpg_head_tail.gcode", head_tail(fixture("gcode/two_bodies_prusa_jpg.gcode"), 40_000, 24_000))
write("gcode_metadata", "cura_head_tail.gcode", head_tail(fixture("gcode/cube_20mm_cura.gcode"), 8_000, 8_000))
write("gcode_metadata", "orca_header_config.gcode", (
    b"; HEADER_BLOCK_START\n; generated by OrcaSlicer 2.1.1 on 2024-05-01 at 10:00:00\n"
    b"; model printing time: 1h 2m 3s; total estimated time: 1h 5m 0s\n; total filament weight [g] : 12.5\n"
    b"; HEADER_BLOCK_END\n\n; thumbnail_QOI begin 2x2 40\n; cW9pZgAAAAIAAAACBADIZAD/ZfAAAAAAAAAAAAE=\n"
    b"; thumbnail_QOI end\n\n; CONFIG_BLOCK_START\n; layer_height = 0.16\n; nozzle_diameter = 0.4,0.4\n"
    b"; filament_type = PETG;PLA\n; printer_model = Voron 2.4\n; CONFIG_BLOCK_END\n\n"
    b"M140 S80\nM104 S240\nM190 S80\nM109 S240\nG28\n; EXCLUDE_OBJECT_DEFINE NAME=cube\nG1 X10 Y10 E1\n"))

# --- bgcode: the real file up to its first G-code block, and small rebuilds -
def blocks(data):
    off, out = 10, []
    while off < len(data):
        kind, comp, usize = struct.unpack_from("<HHI", data, off)
        head = 12 if comp else 8
        csize = struct.unpack_from("<I", data, off + 8)[0] if comp else usize
        params = 6 if kind == 5 else 2
        end = off + head + params + csize + 4
        out.append((kind, comp, off, end, data[off + head: off + head + params], data[off + head + params: end - 4]))
        off = end
    return out


def block(kind, comp, params, usize, stored):
    head = struct.pack("<HHI", kind, comp, usize) + (struct.pack("<I", len(stored)) if comp else b"")
    body = head + params + stored
    return body + struct.pack("<I", zlib.crc32(body))


def heatshrink_decode(data, wbits, lbits, size):
    out, bits, pos = bytearray(), 0, 0
    total = len(data) * 8

    def take(n):
        nonlocal pos
        v = 0
        for _ in range(n):
            v = (v << 1) | ((data[pos // 8] >> (7 - pos % 8)) & 1)
            pos += 1
        return v
    while len(out) < size and pos + 9 <= total:
        if take(1):
            out.append(take(8))
        else:
            if pos + wbits + lbits > total:
                break
            dist, count = take(wbits) + 1, take(lbits) + 1
            for _ in range(count):
                out.append(out[-dist] if dist <= len(out) else 0)
    return bytes(out[:size])


def heatshrink_literals(data):
    """Valid heatshrink for any window size: every byte a literal."""
    bits = "".join("1" + format(b, "08b") for b in data)
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


bg = fixture("gcode/cube_20mm_prusa_png.bgcode")
bl = blocks(bg)
first_gcode = next(b for b in bl if b[0] == 1)
write("bgcode", "prusa_first_gcode_block.bgcode", bg[: first_gcode[3]])
meta_end = next(b for b in bl if b[0] == 5)[2]  # file + printer metadata only
header = bg[:10]
meatpacked = heatshrink_decode(first_gcode[5], 12, 4, struct.unpack_from("<I", bg, first_gcode[2] + 4)[0])
mp = meatpacked[:1500]
plain = b"G28\nG1 X10 Y10 Z0.2 F3000\n;LAYER_CHANGE\n;Z:0.2\nG1 X20 E1.5\nM104 S215\n"
write("bgcode", "small_blocks.bgcode", bg[:meta_end]
      + block(1, 0, b"\x00\x00", len(plain), plain)
      + block(1, 1, b"\x00\x00", len(plain), zlib.compress(plain))
      + block(1, 2, b"\x02\x00", len(mp), heatshrink_literals(mp))
      + block(1, 0, b"\x01\x00", len(mp), mp))
cfg = b"layer_height=0.2\nprinter_model=MK3S\nnozzle_diameter=0.4\n"
qoi = bytes.fromhex("716f6966000000020000000204000000c86400ff65f00000000000000001")
write("bgcode", "thumbs_and_deflate.bgcode", header
      + block(0, 0, b"\x00\x00", 27, b"Producer=PrusaSlicer 2.7.0\n")
      + block(5, 0, struct.pack("<HHH", 2, 2, 2), len(qoi), qoi)
      + block(5, 1, struct.pack("<HHH", 0, 16, 16), 404, zlib.compress(bl[2][5]))
      + block(2, 1, b"\x00\x00", len(cfg), zlib.compress(cfg))
      + block(2, 3, b"\x00\x00", len(cfg), heatshrink_literals(cfg)))
print("seeds written to", SEEDS)
