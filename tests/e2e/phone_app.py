"""What a secretary does on the phone app, as steps a browser test can take.

Locators go by what a person sees (labels, button text, headings), so a test breaks when the
screen stops making sense, not when a class name changes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from tests.photos.pictures import scene

READY = "html[data-ready]"


def camera_photo(folder: Path, seed: int, *, taken_at: str, lat: float, lon: float) -> Path:
    """A 2000×1500 JPEG as a phone camera writes it: EXIF capture time and GPS position."""
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = taken_at  # DateTimeOriginal "YYYY:MM:DD HH:MM:SS"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", _dms(lat)
    gps[3], gps[4] = "E", _dms(lon)
    out = io.BytesIO()
    scene(seed, (2000, 1500)).save(out, "JPEG", quality=92, exif=exif)
    path = folder / f"camera-{seed}.jpg"
    path.write_bytes(out.getvalue())
    return path


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (float(degrees), float(minutes), seconds)


@dataclass
class PhoneApp:
    page: Page
    base_url: str

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.base_url}/{route}")
        self.page.wait_for_selector(READY)

    def _submit_login(self, username: str, password: str) -> None:
        self.open()
        self.page.get_by_label("账号").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录", exact=True).click()

    def log_in_to_overview(self, username: str, password: str) -> None:
        """A supervisor's or administrator's login, which opens on 总览."""
        self._submit_login(username, password)
        expect(self.heading).to_have_text("总览")

    def log_in(self, username: str, password: str) -> None:
        """A secretary's login, waited for until the phone can work offline."""
        self._submit_login(username, password)
        expect(self.heading).to_have_text("待走访")
        # The village's households are on the phone once the 待走访 list shows them.
        expect(self.page.locator(".list .row").first).to_be_visible()
        # The service worker has the shell cached and controls the page: it can open offline now.
        try:
            self.page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
        except Exception:
            state = self.page.evaluate(
                """navigator.serviceWorker.getRegistration().then((r) => r ? {
                    installing: r.installing?.state, waiting: r.waiting?.state, active: r.active?.state,
                } : 'no registration')"""
            )
            raise AssertionError(f"the service worker never took control: {state}") from None

    @property
    def heading(self):  # type: ignore[no-untyped-def]
        return self.page.locator("header h1")

    def tab(self, name: str) -> None:
        self.page.get_by_role("navigation", name="主菜单").get_by_role("link", name=name).click()

    def record_visit(
        self,
        household: str,
        *,
        notes: str,
        photos: list[Path] = (),
        request: str | None = None,
        when: str | None = None,
        sign: bool = False,
    ) -> None:
        """Open the household from 待走访 and save a home visit."""
        self.tab("待走访")
        self.page.get_by_role("link", name=household).first.click()
        expect(self.heading).to_have_text("记录走访")
        expect(self.page.locator(".chosen")).to_contain_text(household)
        if when:
            self.page.get_by_label("走访时间").fill(when)
        self.page.get_by_label("情况记录").fill(notes)
        if request:
            self.page.get_by_role("button", name="＋ 添加一条诉求").click()
            self.page.get_by_label("诉求内容").last.fill(request)
        if photos:
            self.page.locator("input[type=file][multiple]").set_input_files([str(p) for p in photos])
            expect(self.page.locator(".thumbs img")).to_have_count(len(photos))
        if sign:
            self.sign()
        expect(self.page.locator(".gps")).to_contain_text("已定位")
        self.page.get_by_role("button", name="保存").click()
        expect(self.heading).to_have_text("待走访")

    def sign(self) -> None:
        """The villager writes a stroke or two on the signature pad with a finger."""
        pad = self.page.get_by_role("img", name="签字区域")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        assert box is not None
        self.page.mouse.move(box["x"] + 20, box["y"] + 40)
        self.page.mouse.down()
        for step in range(1, 12):
            self.page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 40 + (step % 3) * 25)
        self.page.mouse.up()

    def check_in(self) -> None:
        self.tab("签到")
        button = self.page.get_by_role("button", name="驻村签到")
        expect(button).to_be_enabled()
        button.click()
        expect(self.heading).to_have_text("我的记录")

    def outbox_entries(self):  # type: ignore[no-untyped-def]
        self.tab("待发送")
        expect(self.heading).to_have_text("待发送")
        return self.page.get_by_role("list", name="待发送").locator("li")

    def send_now(self) -> None:
        self.outbox_entries()
        self.page.get_by_role("button", name="立即发送").click()
